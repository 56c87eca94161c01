"""Cornflow's default workflow: solve a PuLP JSON model (the instance) with the CBC PuLP ships.

Also defines `update_all_schemas`, the internal DAG `cornflow service init` triggers, which
publishes every workflow's schemas and examples as Airflow variables.
"""

from __future__ import annotations

import inspect
import os
import tempfile
from typing import Any

import pulp
from cornflow_client import get_empty_schema, get_pulp_jsonschema
from cornflow_client.airflow.dag_utilities import NoSolverException
from cornflow_client.constants import (
    EXECUTION_FILES_STATUS_NOT_GENERATED,
    SOLUTION_STATUS_FEASIBLE,
    SOLUTION_STATUS_INFEASIBLE,
    STATUS_CONV,
)
from cornflow_dag_support import (
    app_examples,
    installed_apps,
    publish_schemas,
    solve_dag,
    task_dag,
)

NAME = "solve_model_dag"
SOLVERS = ["cbc", "PULP_CBC_CMD"]
SOLVER_ALIASES = {"cbc": "PULP_CBC_CMD"}
OPTION_ALIASES = {"seconds": "timeLimit", "MIPGap": "gapRel"}


def schemas() -> dict[str, Any]:
    return {
        "instance": get_pulp_jsonschema(),
        "solution": get_pulp_jsonschema(),
        "config": get_empty_schema(solvers=SOLVERS),
        "instance_checks": get_empty_schema(),
        "solution_checks": get_empty_schema(),
        "kpis": get_empty_schema(),
    }


def examples() -> list[dict[str, Any]]:
    x = pulp.LpVariable("x", lowBound=0, upBound=4, cat="Integer")
    y = pulp.LpVariable("y", lowBound=0, upBound=3, cat="Integer")
    model = pulp.LpProblem("small_mip", pulp.LpMaximize)
    model += 3 * x + 2 * y
    model += x + y <= 5, "capacity"
    return [
        {
            "name": "small_mip",
            "description": "Two integer variables and one capacity constraint",
            "instance": model.to_dict(),
            "solution": None,
        }
    ]


def solver_from_config(config: dict[str, Any], log_path: str) -> Any:
    """The PuLP solver a Cornflow config names, given the options its constructor accepts.

    Cornflow's config schema carries options some solvers do not take (`maxMemory`, ...) and
    older names (`seconds`, `MIPGap`); PuLP's own `getSolverFromDict` passes them all on.
    """
    name = str(config.get("solver", "PULP_CBC_CMD"))
    name = SOLVER_ALIASES.get(name, name)
    solver_class = getattr(pulp, name, None)
    if not (isinstance(solver_class, type) and issubclass(solver_class, pulp.LpSolver)):
        raise NoSolverException(f"Unknown solver {name}")
    options = {OPTION_ALIASES.get(key, key): value for key, value in config.items()}
    # The solver's log goes to a file, which Cornflow keeps as the execution's log_text.
    options.update(logPath=log_path, msg=False)
    accepted = inspect.signature(solver_class).parameters
    solver = solver_class(**{key: value for key, value in options.items() if key in accepted})
    if not solver.available():
        raise NoSolverException(f"Solver {name} is not available")
    return solver


def solve(
    data: dict[str, Any], config: dict[str, Any], solution_data: dict[str, Any] | None = None
) -> tuple[Any, ...]:
    """cornflow-client 1.3.9's solve contract: eight values, the solution first."""
    _, model = pulp.LpProblem.from_dict(data)
    with tempfile.TemporaryDirectory() as workdir:
        log_path = os.path.join(workdir, "solver.log")
        model.solve(solver_from_config(config, log_path))
        with open(log_path) as log_file:
            log_text = log_file.read()
    feasible = model.sol_status > 0
    log_json = {
        "solver": str(config.get("solver", "PULP_CBC_CMD")),
        "status": STATUS_CONV.get(model.status, "Unknown"),
        "status_code": model.status,
        "sol_code": SOLUTION_STATUS_FEASIBLE if feasible else SOLUTION_STATUS_INFEASIBLE,
    }
    solution = model.to_dict() if feasible else None
    return (
        solution,
        None,
        None,
        None,
        None,
        EXECUTION_FILES_STATUS_NOT_GENERATED,
        log_text,
        log_json,
    )


def update_all_schemas(**_: Any) -> str:
    publish_schemas(NAME, schemas(), examples())
    published = [NAME]
    for app in installed_apps():
        publish_schemas(app.name, app.get_schemas(), app_examples(app))
        published.append(app.name)
    return ", ".join(published)


solve_model_dag = solve_dag(NAME, solve, description="Solve a PuLP JSON model with CBC")
update_all_schemas_dag = task_dag(
    "update_all_schemas",
    update_all_schemas,
    description="Publish the schemas and examples of every workflow as Airflow variables",
    tags=("internal",),
)
