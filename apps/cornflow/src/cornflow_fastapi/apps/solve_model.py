"""`solve_model_dag`: solve a PuLP model sent as PuLP's JSON (`LpProblem.to_dict`).

The default app of every Cornflow deployment. The instance and the solution both follow
cornflow-client's PuLP schema: the solution is the same model with the solver's values filled in
(`varValue`, `dj`, `pi`, status). CBC is the binary PuLP ships; HiGHS runs through `highspy`.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pulp  # type: ignore[import-untyped]
from cornflow_client import (
    ApplicationCore,
    ExperimentCore,
    InstanceCore,
    SolutionCore,
    get_empty_schema,
    get_pulp_jsonschema,
)
from cornflow_client.constants import (
    PULP_STATUS_MAPPING,
    SOLUTION_STATUS_FEASIBLE,
    SOLUTION_STATUS_INFEASIBLE,
    STATUS_FEASIBLE,
    STATUS_TIME_LIMIT,
    STATUS_UNDEFINED,
    NoSolverException,
)

CBC = "PULP_CBC_CMD"
HIGHS = "HiGHS"
# Short names accepted as well, the way cornflow-client's own configs name the solvers.
SOLVER_ALIASES = {CBC: CBC, HIGHS: HIGHS, "cbc": CBC, "highs": HIGHS}


def _config_schema() -> dict[str, Any]:
    schema: dict[str, Any] = get_pulp_jsonschema("solver_config.json")
    schema["properties"]["solver"]["enum"] = list(SOLVER_ALIASES)
    schema["properties"]["solver"]["default"] = CBC
    return schema


class PulpInstance(InstanceCore):  # type: ignore[misc]
    schema = get_pulp_jsonschema()
    schema_checks = get_empty_schema()


class PulpSolution(SolutionCore):  # type: ignore[misc]
    schema = get_pulp_jsonschema()


def _number(config: dict[str, Any], key: str) -> Any:
    value = config.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _last_match(pattern: str, text: str) -> str | None:
    found = re.findall(pattern, text)
    return found[-1] if found else None


class PulpSolve(ExperimentCore):  # type: ignore[misc]
    """Solve the instance model with the solver the configuration names."""

    schema_checks = get_empty_schema()

    def solve(self, options: dict[str, Any]) -> dict[str, Any]:
        config = dict(options)
        solver_name = SOLVER_ALIASES.get(str(config.get("solver", CBC)))
        if solver_name is None:
            raise NoSolverException(f"Solver {config.get('solver')} is not available")
        _variables, model = pulp.LpProblem.from_dict(self.instance.to_dict())
        time_limit = _number(config, "timeLimit")
        with tempfile.TemporaryDirectory(prefix="solve-model-") as folder:
            log_path = Path(folder) / "solver.log"
            solver = self._solver(solver_name, config, log_path)
            if not solver.available():
                raise NoSolverException(f"Solver {solver_name} is not available")
            started = time.perf_counter()
            model.solve(solver)
            elapsed = time.perf_counter() - started
            self.log = log_path.read_text(errors="replace") if log_path.exists() else ""

        output: dict[str, Any] = {
            "status": PULP_STATUS_MAPPING.get(model.status, STATUS_UNDEFINED),
            "matrix": {
                "constraints": len(model.constraints),
                "variables": len(model.variables()),
                "nonzeros": sum(len(constraint) for constraint in model.constraints.values()),
            },
        }
        output.update(self._solver_details(model, solver_name))
        if model.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            output["status_sol"] = SOLUTION_STATUS_INFEASIBLE
            return output
        if model.sol_status == pulp.LpSolutionIntegerFeasible:
            # A solution not proven optimal: the time limit cut the search, or another limit did.
            ran_out = time_limit is not None and elapsed >= 0.95 * time_limit
            output["status"] = STATUS_TIME_LIMIT if ran_out else STATUS_FEASIBLE
        output["best_solution"] = pulp.value(model.objective)
        output["status_sol"] = SOLUTION_STATUS_FEASIBLE
        self.solution = PulpSolution(model.to_dict())
        return output

    @staticmethod
    def _solver(name: str, config: dict[str, Any], log_path: Path) -> Any:
        common = {
            "mip": bool(config.get("mip", True)),
            "msg": False,
            "timeLimit": _number(config, "timeLimit"),
            "gapRel": _number(config, "gapRel"),
            "gapAbs": _number(config, "gapAbs"),
            "threads": _number(config, "threads"),
        }
        if name == CBC:
            return pulp.PULP_CBC_CMD(
                **common,
                logPath=str(log_path),
                maxNodes=_number(config, "maxNodes"),
                warmStart=bool(config.get("warmStart", False)),
                options=[str(option) for option in config.get("options") or []],
            )
        # HiGHS logs to a file only with its output on; the console stays quiet.
        return pulp.HiGHS(**common, log_file=str(log_path), output_flag=True, log_to_console=False)

    def _solver_details(self, model: Any, solver_name: str) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if solver_name == HIGHS:
            version = _last_match(r"Running HiGHS (\S+)", self.log)
            highs = getattr(model, "solverModel", None)
            if highs is not None and model.isMIP():
                info = highs.getInfo()
                details.update(
                    best_bound=float(info.mip_dual_bound),
                    gap=float(info.mip_gap),
                    nodes=int(info.mip_node_count),
                )
        else:
            version = _last_match(r"Version: (\S+)", self.log)
            nodes = _last_match(r"Enumerated nodes:\s+(\d+)", self.log)
            if nodes is not None:
                details["nodes"] = int(nodes)
        if version is not None:
            details["version"] = version
        return details

    def get_objective(self) -> float:
        _variables, model = pulp.LpProblem.from_dict(self.solution.to_dict())
        return float(pulp.value(model.objective))


def _example_mip() -> dict[str, Any]:
    model = pulp.LpProblem("small_mip", pulp.LpMinimize)
    x = pulp.LpVariable("x", 0, 4)
    y = pulp.LpVariable("y", -1, 1)
    z = pulp.LpVariable("z", 0, None, pulp.LpInteger)
    model += x + 4 * y + 9 * z, "obj"
    model += x + y <= 5, "c1"
    model += x + z >= 10, "c2"
    model += -y + z == 7.5, "c3"
    instance: dict[str, Any] = model.to_dict()
    return instance


def _example_lp() -> dict[str, Any]:
    model = pulp.LpProblem("small_lp", pulp.LpMaximize)
    a = pulp.LpVariable("a", 0)
    b = pulp.LpVariable("b", 0)
    model += 3 * a + 2 * b, "profit"
    model += a + b <= 4, "capacity"
    model += a + 3 * b <= 6, "labour"
    model += a <= 3, "demand"
    instance: dict[str, Any] = model.to_dict()
    return instance


class SolveModel(ApplicationCore):  # type: ignore[misc]
    name = "solve_model_dag"
    description = "Solve a PuLP model (PuLP's JSON format) with CBC or HiGHS"
    instance = PulpInstance
    solution = PulpSolution
    schema = _config_schema()
    solvers = dict.fromkeys(SOLVER_ALIASES, PulpSolve)

    @property
    def test_cases(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "small_mip",
                "description": "Three variables, one of them integer; optimum 64",
                "instance": _example_mip(),
            },
            {
                "name": "small_lp",
                "description": "A two-product production plan; optimum 11",
                "instance": _example_lp(),
            },
        ]
