"""Differential parity: the same requests to Flask Cornflow and to ours, answers compared.

Scenario runs (`python -m cutover.parity run`) start both servers on fresh databases and play
the YAML scenarios of cutover/scenarios/; replays (`... replay LOG`) send recorded traffic to
two running servers. Both report per endpoint and per step, and fail on any difference that
apps/cornflow/DEVIATIONS.md does not list.
"""
