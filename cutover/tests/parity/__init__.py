"""Tests of the parity runner.

A package so that pytest imports these modules as `parity.*` (see the coexistence package).
"""
