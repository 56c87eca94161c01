"""Airflow DAGs the orchestrator tests trigger; they never call Cornflow: return, sleep or fail.

Each follows Cornflow's convention (one task named like its DAG) so that stopping a run works as
it does on a model DAG.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from cornflow_dag_support import SECRETS, task_dag


def succeed(**context: Any) -> dict[str, Any]:
    return dict(context["dag_run"].conf or {})


def sleep(**_: Any) -> None:
    time.sleep(600)


def read_cornflow_connection(**_: Any) -> str:
    uri = SECRETS.get_conn_value("CF_URI")
    if not uri:
        raise RuntimeError("No CF_URI connection")
    return str(urlsplit(uri).hostname)


def fail(**_: Any) -> None:
    raise RuntimeError("This workflow always fails")


task_dag("cornflow_test_success", succeed, tags=("test",))
task_dag("cornflow_test_success_check_kpis", succeed, tags=("test",))
task_dag("cornflow_test_sleep", sleep, tags=("test",))
task_dag("cornflow_test_fail", fail, tags=("test",))
task_dag("cornflow_test_connection", read_cornflow_connection, tags=("test",))
task_dag("cornflow_test_paused", succeed, tags=("test",), is_paused_upon_creation=True)
