"""Instance, solution and the checks and KPIs every solver of the app shares."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cornflow_client import ExperimentCore, InstanceCore, SolutionCore

from .resources import load_schema


class KnapsackInstance(InstanceCore):  # type: ignore[misc]
    schema = load_schema("instance")
    schema_checks = load_schema("instance_checks")

    @property
    def capacity(self) -> int:
        return int(self.data["parameters"]["capacity"])

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.data["items"])

    def check_duplicated_ids(self) -> list[dict[str, Any]]:
        counts = Counter(item["id"] for item in self.items)
        return [{"id": key, "times": times} for key, times in counts.items() if times > 1]

    def check_items_heavier_than_capacity(self) -> list[dict[str, Any]]:
        # Only a warning: such items are never chosen, the rest still solves.
        return [
            {"id": item["id"], "weight": item["weight"]}
            for item in self.items
            if item["weight"] > self.capacity
        ]


class KnapsackSolution(SolutionCore):  # type: ignore[misc]
    schema = load_schema("solution")

    @property
    def chosen_ids(self) -> list[str]:
        return [str(item["id"]) for item in self.data.get("chosen", [])]

    @classmethod
    def from_ids(cls, ids: list[str]) -> KnapsackSolution:
        return cls({"chosen": [{"id": key} for key in ids]})


class KnapsackExperiment(ExperimentCore):  # type: ignore[misc]
    """What every knapsack solver shares: the objective, the solution checks and the KPIs."""

    schema_checks = load_schema("solution_checks")
    schema_kpis = load_schema("kpis")

    @property
    def _chosen(self) -> list[dict[str, Any]]:
        by_id = {item["id"]: item for item in self.instance.items}
        ids = self.solution.chosen_ids if self.solution is not None else []
        return [by_id[key] for key in dict.fromkeys(ids) if key in by_id]

    def get_objective(self) -> float:
        return float(sum(item["value"] for item in self._chosen))

    def check_capacity_exceeded(self) -> list[dict[str, Any]]:
        weight = sum(item["weight"] for item in self._chosen)
        capacity = self.instance.capacity
        return [] if weight <= capacity else [{"total_weight": weight, "capacity": capacity}]

    def check_unknown_items(self) -> list[dict[str, Any]]:
        known = {item["id"] for item in self.instance.items}
        return [{"id": key} for key in self.solution.chosen_ids if key not in known]

    def check_repeated_items(self) -> list[dict[str, Any]]:
        counts = Counter(self.solution.chosen_ids)
        return [{"id": key} for key, times in counts.items() if times > 1]

    def kpis_summary(self) -> list[dict[str, Any]]:
        weight = sum(item["weight"] for item in self._chosen)
        capacity = self.instance.capacity
        return [
            {
                "total_value": self.get_objective(),
                "total_weight": weight,
                "capacity_used": weight / capacity if capacity else 0.0,
                "items_chosen": len(self._chosen),
            }
        ]
