"""The knapsack application: what Cornflow registers (schemas) and runs (solvers)."""

from __future__ import annotations

from typing import Any

from cornflow_client import ApplicationCore

from .core import KnapsackInstance, KnapsackSolution
from .resources import load_json, load_schema
from .solvers import DynamicProgramming, MixedIntegerProgram

EXAMPLES = (
    ("small", "Five items, capacity 15: the textbook instance (optimum 15)"),
    ("fifteen_items", "Fifteen random items, capacity 120 (optimum 366)"),
)


class Knapsack(ApplicationCore):  # type: ignore[misc]
    name = "knapsack"
    description = "0/1 knapsack: the most valuable set of items that fits the capacity"
    instance = KnapsackInstance
    solution = KnapsackSolution
    schema = load_schema("config")
    solvers = {"dynamic_programming": DynamicProgramming, "mip": MixedIntegerProgram}

    @property
    def test_cases(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "description": description,
                "instance": load_json("data", name),
                "solution": load_json("data", f"{name}_solution"),
            }
            for name, description in EXAMPLES
        ]
