"""The solvers: an exact dynamic program in pure Python, and a MIP through PuLP."""

from __future__ import annotations

import time
from typing import Any

import pulp  # type: ignore[import-untyped]
from cornflow_client.constants import (
    PULP_STATUS_MAPPING,
    SOLUTION_STATUS_FEASIBLE,
    SOLUTION_STATUS_INFEASIBLE,
    STATUS_OPTIMAL,
    STATUS_TIME_LIMIT,
    STATUS_UNDEFINED,
)

from .core import KnapsackExperiment, KnapsackSolution


class DynamicProgramming(KnapsackExperiment):
    """Exact, in O(items x capacity): for capacities up to a few hundred thousand."""

    def solve(self, options: dict[str, Any]) -> dict[str, Any]:
        capacity = self.instance.capacity
        items = [item for item in self.instance.items if item["weight"] <= capacity]
        # best[w]: best value within weight w; taken[i] marks the weights where item i helped.
        best = [0.0] * (capacity + 1)
        taken: list[bytearray] = []
        for item in items:
            weight, value = int(item["weight"]), float(item["value"])
            used = bytearray(capacity + 1)
            for room in range(capacity, weight - 1, -1):
                candidate = best[room - weight] + value
                if candidate > best[room]:
                    best[room] = candidate
                    used[room] = 1
            taken.append(used)
        chosen: list[str] = []
        room = capacity
        for position in range(len(items) - 1, -1, -1):
            if taken[position][room]:
                chosen.append(str(items[position]["id"]))
                room -= int(items[position]["weight"])
        self.solution = KnapsackSolution.from_ids(sorted(chosen))
        self.log = f"Dynamic program over {len(items)} items and capacity {capacity}\n"
        return {
            "status": STATUS_OPTIMAL,
            "status_sol": SOLUTION_STATUS_FEASIBLE,
            "best_solution": best[capacity],
        }


class MixedIntegerProgram(KnapsackExperiment):
    """max sum(value x) s.t. sum(weight x) <= capacity, x binary; CBC or HiGHS (`mip.highs`)."""

    def solve(self, options: dict[str, Any]) -> dict[str, Any]:
        backend = str(options.get("solver", "mip")).partition(".")[2] or "cbc"
        model = pulp.LpProblem("knapsack", pulp.LpMaximize)
        picks = {
            item["id"]: pulp.LpVariable(f"x_{position}", cat=pulp.LpBinary)
            for position, item in enumerate(self.instance.items)
        }
        values = {item["id"]: item["value"] for item in self.instance.items}
        weights = {item["id"]: item["weight"] for item in self.instance.items}
        model += pulp.lpSum(values[key] * pick for key, pick in picks.items())
        model += pulp.lpSum(weights[key] * pick for key, pick in picks.items()) <= (
            self.instance.capacity
        )
        time_limit = options.get("timeLimit")
        settings: dict[str, Any] = {"msg": False, "timeLimit": time_limit}
        if options.get("gapRel") is not None:
            settings["gapRel"] = options["gapRel"]
        solver = pulp.HiGHS(**settings) if backend == "highs" else pulp.PULP_CBC_CMD(**settings)
        started = time.perf_counter()
        model.solve(solver)
        elapsed = time.perf_counter() - started
        self.log = f"MIP with {backend}: {pulp.LpStatus[model.status]} in {elapsed:.2f} s\n"
        if model.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            return {
                "status": PULP_STATUS_MAPPING.get(model.status, STATUS_UNDEFINED),
                "status_sol": SOLUTION_STATUS_INFEASIBLE,
            }
        chosen = [key for key, pick in picks.items() if (pick.value() or 0) > 0.5]
        self.solution = KnapsackSolution.from_ids(sorted(chosen))
        proven = model.sol_status == pulp.LpSolutionOptimal
        return {
            "status": STATUS_OPTIMAL if proven else STATUS_TIME_LIMIT,
            "status_sol": SOLUTION_STATUS_FEASIBLE,
            "best_solution": pulp.value(model.objective),
        }
