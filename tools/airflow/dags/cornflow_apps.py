"""One solve DAG and one `_check_kpis` DAG per installed cornflow-client app.

Apps are found through the `cornflow.apps` entry points, the same registry the local runner
reads, so the example apps of this repository run on Airflow unchanged once installed in its
virtualenv (`make airflow` installs them). `solve_model_dag` has its own file.
"""

from __future__ import annotations

from cornflow_dag_support import checks_dag, installed_apps, solve_dag

for _app in installed_apps():
    if _app.name == "solve_model_dag":
        continue
    solve_dag(_app.name, _app.solve, description=_app.description)
    checks_dag(_app.name, _app.check_generate_kpis, description=_app.description)
