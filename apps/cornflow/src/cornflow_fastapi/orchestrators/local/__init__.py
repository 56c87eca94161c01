"""The embedded runner (CORNFLOW_BACKEND=local): executions queued in the database, solved by
worker processes with the cornflow-client application model.

    server (event loop)  --run id, state -7-->  executions table  <--claim--  worker process
                                                                                  |
    LocalSupervisor: starts N workers, replaces dead ones,           one solve process per run
    takes back the runs of lost workers                               (stop / time limit / crash)

Modules: `runs` (run ids), `queue` (claims, atomic on PostgreSQL and SQLite), `worker`,
`child` (the solve process), `supervisor`, `orchestrator` (the Orchestrator protocol),
`runtime` (start with the server or alone), `tables` (the runner's own table).
"""

from cornflow_fastapi.orchestrators.local.orchestrator import LocalOrchestrator
from cornflow_fastapi.orchestrators.local.runs import RunKind, RunRef, parse_run_id, run_id_for
from cornflow_fastapi.orchestrators.local.runtime import LocalRunner, start_local_runner
from cornflow_fastapi.orchestrators.local.supervisor import LocalSupervisor

__all__ = [
    "LocalOrchestrator",
    "LocalRunner",
    "LocalSupervisor",
    "RunKind",
    "RunRef",
    "parse_run_id",
    "run_id_for",
    "start_local_runner",
]
