"""What JSON documents hold, walked without recursion so that any depth can be looked at."""

from __future__ import annotations

import math
from typing import Any


def all_finite(*values: Any) -> bool:
    """Whether values hold only numbers JSON can write: no NaN, no Infinity.

    Python's parser accepts both, PostgreSQL refuses to store them, and SQLite stores them so
    that every later read answers invalid JSON. Blocking on large values: run it in a thread.
    """
    pending = list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return False
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return True


def nesting_depth(*values: Any, limit: int) -> int:
    """How deeply values nest arrays and objects; past limit, limit + 1 (the walk stops there)."""
    deepest = 0
    pending = [(value, 0) for value in values]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth + 1)
            if deepest > limit:
                break
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return deepest
