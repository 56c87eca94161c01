"""PuLP models for the client workflow: an easy one, a long one (the bench's), an MPS file."""

from __future__ import annotations

from typing import Any

import pulp  # type: ignore[import-untyped]

from bench.solve_load import market_split

__all__ = ["MPS_MODEL", "market_split", "production_plan"]


def production_plan() -> dict[str, Any]:
    """Two products on two machines: optimum 2x + 3y = 21 at x=3, y=5 (hand-checked)."""
    problem = pulp.LpProblem("production", pulp.LpMaximize)
    x = pulp.LpVariable("x", lowBound=0, cat="Integer")
    y = pulp.LpVariable("y", lowBound=0, cat="Integer")
    problem += 2 * x + 3 * y
    problem += x + y <= 8, "machine_a"
    problem += x + 2 * y <= 13, "machine_b"
    return dict(problem.to_dict())


MPS_MODEL = """NAME          TINY
ROWS
 N  COST
 L  LIM1
 G  LIM2
COLUMNS
    MARKER                 'MARKER'                 'INTORG'
    X1        COST         1.0   LIM1         1.0
    X1        LIM2         1.0
    X2        COST         2.0   LIM1         1.0
    MARKER                 'MARKER'                 'INTEND'
RHS
    RHS       LIM1         4.0   LIM2         1.0
BOUNDS
 UP BND       X1           4.0
 UP BND       X2           1.0
ENDATA
"""
