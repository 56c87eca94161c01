"""Pure review scheduling: exact SM-2 (spec §3) and FSRS (spec §4.1).

No I/O and no clock: every function takes the state and the review time it needs and returns a
new state. Import the engines as modules (`from mandarin.scheduling import sm2, fsrs_adapter`).
"""
