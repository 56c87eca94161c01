"""Both Cornflow servers on one database.

A package so that pytest imports these modules as `coexistence.*`: as loose files they would be
named after their path, `cutover.tests...`, and that `cutover` would shadow the real package.
"""
