"""What the Cornflow DAG files share: turning a solve function or an app into Airflow DAGs.

Each DAG has one task named like the DAG itself, because Cornflow stops a run by failing the
task whose id is the DAG id. Tasks reach Cornflow through the `CF_URI` connection
(`AIRFLOW_CONN_CF_URI=cornflow://user:password@host:port`), as cornflow-client's `cf_solve` expects.
The same files load on Airflow 2 and Airflow 3.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any

from cornflow_client.airflow.dag_utilities import (
    cf_check_generate_kpis,
    cf_solve,
    default_args,
    get_workflow_name_check_kpis,
)

try:  # Airflow 3: DAG authoring goes through the task SDK.
    from airflow.sdk import DAG, BaseHook, Variable
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.hooks.base import BaseHook
    from airflow.models import Variable

try:
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2 ships the operator in its core.
    from airflow.operators.python import PythonOperator

APPS_ENTRY_POINT_GROUP = "cornflow.apps"
MODEL_TAG = "model"


class EnvironmentSecrets:
    """Connections as cf_solve reads them: `AIRFLOW_CONN_<ID>`, else Airflow's connection store.

    Stands in for `EnvironmentVariablesBackend` (Airflow 3 discourages importing its core secrets
    backends from DAG code) and also sees connections created through the REST API, so a test
    can point the DAGs at a Cornflow server started after Airflow. A stored connection comes
    back URL-quoted: its password should need no quoting, since cf_solve does not unquote it.
    """

    def get_conn_value(self, conn_id: str) -> str | None:
        value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if value is not None:
            return value
        try:
            connection = BaseHook.get_connection(conn_id)
        except Exception:  # Airflow's "not defined" error type differs between 2 and 3.
            return None
        return str(connection.get_uri())


SECRETS = EnvironmentSecrets()


def solve_dag(
    name: str,
    solve: Callable[..., Any],
    *,
    description: str | None = None,
    tags: tuple[str, ...] = (MODEL_TAG,),
) -> DAG:
    """A DAG `name` whose task `name` runs `cf_solve(solve, ...)` for the run's `exec_id`."""

    def run_solve(**context: Any) -> str:
        return str(cf_solve(solve, name, SECRETS, **context))

    return task_dag(name, run_solve, description=description, tags=tags)


def checks_dag(
    name: str,
    check_generate_kpis: Callable[..., Any],
    *,
    description: str | None = None,
) -> DAG:
    """The `<name>_check_kpis` DAG Cornflow triggers for data checks."""
    checks_name = get_workflow_name_check_kpis(name)

    def run_checks(**context: Any) -> str:
        return str(cf_check_generate_kpis(check_generate_kpis, name, SECRETS, **context))

    return task_dag(checks_name, run_checks, description=description, tags=("checks",))


def task_dag(
    name: str,
    function: Callable[..., Any],
    *,
    description: str | None = None,
    tags: tuple[str, ...] = (),
    is_paused_upon_creation: bool | None = None,
) -> DAG:
    """A manually triggered DAG whose single task, also called `name`, runs `function`."""
    with DAG(
        name,
        description=description,
        default_args=default_args,
        schedule=None,
        catchup=False,
        tags=list(tags),
        is_paused_upon_creation=is_paused_upon_creation,
    ) as dag:
        PythonOperator(task_id=name, python_callable=function)
    return dag


def installed_apps() -> Iterator[Any]:
    """cornflow-client applications (ApplicationCore) registered by installed packages."""
    for entry_point in entry_points(group=APPS_ENTRY_POINT_GROUP):
        app = entry_point.load()
        if isinstance(app, type):
            app = app()
        if not hasattr(app, "solve") or not hasattr(app, "get_schemas"):
            raise TypeError(f"{entry_point.value} is not a cornflow-client application")
        yield app


def app_examples(app: Any) -> list[dict[str, Any]]:
    """An app's test cases as Cornflow serves examples: name, description, instance, solution."""
    examples = []
    for position, case in enumerate(app.test_cases, start=1):
        if isinstance(case, dict) and "instance" in case:
            example = {
                "name": case.get("name", f"test_case_{position}"),
                "description": case.get("description"),
                "instance": case["instance"],
                "solution": case.get("solution"),
            }
        elif isinstance(case, tuple):
            example = {
                "name": f"test_case_{position}",
                "description": None,
                "instance": case[0],
                "solution": case[1],
            }
        else:
            example = {
                "name": f"test_case_{position}",
                "description": None,
                "instance": case,
                "solution": None,
            }
        examples.append(example)
    return examples


def publish_schemas(name: str, schemas: dict[str, Any], examples: list[dict[str, Any]]) -> None:
    """Store a workflow's schemas and examples where Cornflow reads them: variables `<name>`
    and `z_<name>_examples`."""
    Variable.set(name, json.dumps(schemas))
    Variable.set(f"z_{name}_examples", json.dumps(examples))
