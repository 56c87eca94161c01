"""Executions solved by Apache Airflow, through its REST API over httpx (never blocking the loop).

Speaks to Airflow 2 (`/api/v1`, HTTP basic auth) and Airflow 3 (`/api/v2`, a JWT from
`POST /auth/token`, fetched again before it expires or when Airflow rejects it); the version is
detected on first use, as cornflow-client's `Airflow` does. Transport errors and 5xx answers are
retried a bounded number of times with exponential backoff; 4xx answers never are.

Dispatch is idempotent: the `dag_run_id` is derived from the execution id, so a dispatch retried
after a lost answer meets Airflow's 409 for the run it already started and returns that run. A
relaunch of an execution whose run has finished takes the next id of the same sequence
(`cornflow-<id>`, `cornflow-<id>-2`, ...). Checks-and-KPIs runs go to the `<dag>_check_kpis`
DAG and have their own sequence (`cornflow-checks-<id>`), which `status` and `stop` recognise.

Failures carry the Flask server's messages and status codes: a `workflow_info`, `stop`,
`schemas` or `examples` refusal passes on Airflow's answer and status code, a refused `run` or
`status` becomes 400 "Airflow responded with an error: <answer>", and an Airflow that cannot be
reached is 400 "Airflow is not accessible".
"""

from __future__ import annotations

import asyncio
import json
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import httpx
import jwt

from cornflow_fastapi.models import ExecutionState
from cornflow_fastapi.orchestrators.base import OrchestratorError, RunRequest, WorkflowInfo

if TYPE_CHECKING:
    from cornflow_fastapi.config import CornflowSettings

HEALTHY = "healthy"
NOT_ACCESSIBLE = "Airflow is not accessible"
NOT_REACHABLE = "Airflow is not reachable"
DAG_PAUSED = "The dag exists but it is paused in airflow"
RESPONDED_WITH_ERROR = "Airflow responded with an error:"

CHECKS_SUFFIX = "_check_kpis"
RUN_ID_PREFIX = "cornflow-"
CHECKS_RUN_ID_PREFIX = "cornflow-checks-"
SCHEMAS_WORKFLOW = "update_all_schemas"
MODEL_TAG = "model"

STATES = {
    "success": ExecutionState.SOLVED,
    "running": ExecutionState.RUNNING,
    "failed": ExecutionState.ERROR,
    "queued": ExecutionState.QUEUED,
}
FINISHED_STATES = frozenset({"success", "failed"})
# A relaunch walks the run-id sequence past finished runs; nobody relaunches this often.
MAX_RUN_GENERATIONS = 1000
# Seconds before a JWT's expiry at which it is replaced rather than sent.
TOKEN_REFRESH_MARGIN = 30.0

ApiVersion = Literal["v1", "v2"]


class AirflowUnreachable(OrchestratorError):
    """No answer from Airflow, even after the retries."""

    def __init__(self, message: str = NOT_ACCESSIBLE) -> None:
        super().__init__(message, status_code=400)


class AirflowResponseError(OrchestratorError):
    """Airflow answered with an error; `detail` is its answer, `airflow_status` its status."""

    def __init__(self, message: str, *, status_code: int, detail: str, airflow_status: int) -> None:
        super().__init__(message, status_code=status_code)
        self.detail = detail
        self.airflow_status = airflow_status

    @classmethod
    def from_response(cls, response: httpx.Response) -> AirflowResponseError:
        """Airflow's answer and status passed on as they are, like the Flask server does."""
        return cls(
            response.text,
            status_code=response.status_code,
            detail=response.text,
            airflow_status=response.status_code,
        )

    def as_responded_with_error(self) -> AirflowResponseError:
        """The 400 the Flask server answers when starting or polling a run fails."""
        return AirflowResponseError(
            f"{RESPONDED_WITH_ERROR} {self.detail}",
            status_code=400,
            detail=self.detail,
            airflow_status=self.airflow_status,
        )


def checks_workflow(workflow: str) -> str:
    """The DAG that runs the checks and KPIs of `workflow`."""
    return f"{workflow}{CHECKS_SUFFIX}"


def dag_run_id(request: RunRequest, generation: int = 1) -> str:
    """The run id of the `generation`-th run of this request's kind for its execution."""
    prefix = CHECKS_RUN_ID_PREFIX if request.checks_and_kpis_only else RUN_ID_PREFIX
    run_id = f"{prefix}{request.execution_id}"
    return run_id if generation == 1 else f"{run_id}-{generation}"


def workflow_of_run(workflow: str, run_id: str) -> str:
    """The DAG a run id belongs to: checks runs live on the `_check_kpis` DAG."""
    if run_id.startswith(CHECKS_RUN_ID_PREFIX) and not workflow.endswith(CHECKS_SUFFIX):
        return checks_workflow(workflow)
    return workflow


class AirflowOrchestrator:
    """The `airflow` orchestrator (CORNFLOW_BACKEND=1): one connection pool per instance."""

    name = "airflow"

    def __init__(
        self,
        url: str | None,
        user: str | None,
        password: str | None,
        *,
        timeout: float = 10.0,
        health_timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/") if url else None
        self.user = user or ""
        self.password = password or ""
        self.retries = retries
        self.backoff = backoff
        self.health_timeout = health_timeout
        self.api_version: ApiVersion | None = None
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), transport=transport
        )
        self._basic_auth = httpx.BasicAuth(self.user, self.password)
        self._token: str | None = None
        self._token_expires_at: float | None = None
        self._version_lock = asyncio.Lock()
        self._token_lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: CornflowSettings, **options: Any) -> AirflowOrchestrator:
        return cls(settings.airflow_url, settings.airflow_user, settings.airflow_pwd, **options)

    async def __aenter__(self) -> AirflowOrchestrator:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def is_alive(self) -> bool:
        """Airflow's metadatabase and scheduler both report healthy (API v1, else v2).

        One attempt and a short timeout: /health/ and every run start ask, and a down Airflow
        must not hold them for the length of a retry schedule.
        """
        if not self.url:
            return False
        try:
            response = await self._client.get(
                f"{self.url}/api/v1/health", timeout=self.health_timeout
            )
            version: ApiVersion = "v1"
            if response.status_code == 404:
                version = "v2"
                response = await self._client.get(
                    f"{self.url}/api/v2/monitor/health", timeout=self.health_timeout
                )
            if response.status_code != 200:
                return False
            payload = response.json()
        except (httpx.HTTPError, ValueError):
            return False
        self.api_version = version
        try:
            return bool(
                payload["metadatabase"]["status"] == HEALTHY
                and payload["scheduler"]["status"] == HEALTHY
            )
        except (KeyError, TypeError):
            return False

    async def workflow_info(self, workflow: str) -> WorkflowInfo:
        response = await self._request("GET", f"/dags/{workflow}")
        if response.status_code != 200:
            raise AirflowResponseError.from_response(response)
        payload = response.json()
        return WorkflowInfo(name=str(payload["dag_id"]), is_paused=bool(payload["is_paused"]))

    async def run(self, request: RunRequest) -> str:
        workflow = request.workflow
        if request.checks_and_kpis_only:
            workflow = checks_workflow(workflow)
        conf: dict[str, Any] = {
            "exec_id": request.execution_id,
            "checks_and_kpis_only": request.checks_and_kpis_only,
        }
        if request.case_id is not None:
            conf["case_id"] = request.case_id
        try:
            for generation in range(1, MAX_RUN_GENERATIONS + 1):
                run_id = dag_run_id(request, generation)
                if await self._trigger(workflow, run_id, conf):
                    return run_id
            raise AirflowResponseError(
                f"Execution {request.execution_id} has run {MAX_RUN_GENERATIONS} times",
                status_code=400,
                detail="Too many runs",
                airflow_status=409,
            )
        except AirflowResponseError as error:
            raise error.as_responded_with_error() from error

    async def _trigger(self, workflow: str, run_id: str, conf: dict[str, Any]) -> bool:
        """Start run `run_id`, or find it started; False when it exists and has finished."""
        body: dict[str, Any] = {"dag_run_id": run_id, "conf": conf}
        if await self._version() == "v2":
            # Airflow 3 answers 422 without the key; null lets it pick the date.
            body["logical_date"] = None
        response = await self._request("POST", f"/dags/{workflow}/dagRuns", json=body)
        if response.status_code == 200:
            return True
        if response.status_code != 409:
            raise AirflowResponseError.from_response(response)
        existing = await self._request("GET", f"/dags/{workflow}/dagRuns/{run_id}")
        if existing.status_code != 200:
            # The 409 was about something else (Airflow 2: a run at the same logical date).
            raise AirflowResponseError.from_response(response)
        return existing.json().get("state") not in FINISHED_STATES

    async def status(self, workflow: str, run_id: str) -> ExecutionState:
        workflow = workflow_of_run(workflow, run_id)
        response = await self._request("GET", f"/dags/{workflow}/dagRuns/{run_id}")
        if response.status_code != 200:
            raise AirflowResponseError.from_response(response).as_responded_with_error()
        return STATES.get(response.json().get("state"), ExecutionState.UNKNOWN)

    async def stop(self, workflow: str, run_id: str) -> None:
        """Fail the run's task (named like its DAG, by Cornflow's convention), then the run.

        Failing the task is what the Flask server asks for; it ends the task's process. Failing
        the run too makes the stop final when this returns, so a relaunch right after it cannot
        mistake the stopped run for one still going.
        """
        workflow = workflow_of_run(workflow, run_id)
        run_path = f"/dags/{workflow}/dagRuns/{run_id}"
        scope = {
            "include_downstream": True,
            "include_future": False,
            "include_past": False,
            "include_upstream": True,
            "new_state": "failed",
        }
        if await self._version() == "v2":
            response = await self._request(
                "PATCH", f"{run_path}/taskInstances/{workflow}", json=scope
            )
        else:
            dag_run = await self._request("GET", run_path)
            if dag_run.status_code != 200:
                raise AirflowResponseError.from_response(dag_run)
            response = await self._request(
                "POST",
                f"/dags/{workflow}/updateTaskInstancesState",
                json={
                    "dry_run": False,
                    **scope,
                    "task_id": workflow,
                    "execution_date": dag_run.json().get("execution_date")
                    or dag_run.json()["logical_date"],
                },
            )
        if response.status_code != 200:
            raise AirflowResponseError.from_response(response)
        response = await self._request("PATCH", run_path, json={"state": "failed"})
        if response.status_code != 200:
            raise AirflowResponseError.from_response(response)

    async def schemas(self, workflow: str) -> dict[str, Any] | None:
        """The six schemas `update_all_schemas` publishes as variable `<workflow>`."""
        value = await self._variable(workflow)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _invalid_variable(workflow)
        return value

    async def examples(self, workflow: str) -> list[dict[str, Any]]:
        """Variable `z_<workflow>_examples`, once the DAG is known (the Flask server's order)."""
        await self.workflow_info(workflow)
        key = f"z_{workflow}_examples"
        value = await self._variable(key, missing_is_error=True)
        if not isinstance(value, list):
            raise _invalid_variable(key)
        return value

    async def model_workflows(self) -> list[str]:
        """Ids of the DAGs tagged `model`: the workflows `cornflow service init` registers."""
        workflows: list[str] = []
        while True:
            response = await self._request(
                "GET",
                "/dags",
                params={"tags": MODEL_TAG, "limit": 100, "offset": len(workflows)},
            )
            if response.status_code != 200:
                raise AirflowResponseError.from_response(response)
            page = [str(dag["dag_id"]) for dag in response.json()["dags"]]
            workflows.extend(page)
            if not page or len(workflows) >= int(response.json()["total_entries"]):
                return workflows

    async def update_schemas(self) -> str:
        """Trigger `update_all_schemas`, which republishes every workflow's schemas."""
        body: dict[str, Any] = {"conf": {}}
        if await self._version() == "v2":
            body["logical_date"] = None
        response = await self._request("POST", f"/dags/{SCHEMAS_WORKFLOW}/dagRuns", json=body)
        if response.status_code != 200:
            raise AirflowResponseError.from_response(response)
        return str(response.json()["dag_run_id"])

    async def _variable(self, key: str, *, missing_is_error: bool = False) -> Any:
        response = await self._request("GET", f"/variables/{key}")
        if response.status_code == 404 and not missing_is_error:
            return None
        if response.status_code != 200:
            raise AirflowResponseError.from_response(response)
        try:
            return json.loads(response.json()["value"])
        except (KeyError, TypeError, ValueError) as error:
            raise _invalid_variable(key) from error

    async def _version(self) -> ApiVersion:
        """v1 when Airflow 2 serves /api/v1/health, v2 when that path is gone (Airflow 3)."""
        if self.api_version is not None:
            return self.api_version
        async with self._version_lock:
            if self.api_version is None:
                response = await self._send("GET", f"{self._base_url()}/api/v1/health")
                if response.status_code >= 500:
                    raise AirflowResponseError.from_response(response)
                self.api_version = "v2" if response.status_code == 404 else "v1"
        return self.api_version

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """One authenticated REST call; a JWT Airflow turns down is replaced once."""
        version = await self._version()
        url = f"{self._base_url()}/api/{version}{path}"
        if version == "v1":
            return await self._send(method, url, json=json, params=params, auth=self._basic_auth)
        token, fresh = await self._bearer_token()
        response = await self._send(
            method, url, json=json, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        # 401 is an expired token; 403 "Invalid JWT token" one signed before a key change.
        if response.status_code in {401, 403} and not fresh:
            token, _ = await self._bearer_token(stale=token)
            response = await self._send(
                method,
                url,
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
        return response

    async def _send(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        """The call, repeated after transport errors and 5xx answers, with growing pauses."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = await self._client.request(
                    method, url, json=json, params=params, headers=headers, auth=auth
                )
            except httpx.TransportError as error:
                if last:
                    raise AirflowUnreachable() from error
            else:
                if response.status_code < 500 or last:
                    return response
            await asyncio.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _bearer_token(self, *, stale: str | None = None) -> tuple[str, bool]:
        """A JWT for Airflow 3, and whether it was fetched by this call."""
        async with self._token_lock:
            if self._token is not None and self._token != stale and not self._token_expiring():
                return self._token, False
            response = await self._send(
                "POST",
                f"{self._base_url()}/auth/token",
                json={"username": self.user, "password": self.password},
            )
            if response.status_code >= 300:
                raise AirflowResponseError.from_response(response)
            self._token = str(response.json()["access_token"])
            self._token_expires_at = _expiry(self._token)
            return self._token, True

    def _token_expiring(self) -> bool:
        if self._token_expires_at is None:
            return False
        return self._token_expires_at - time.time() < TOKEN_REFRESH_MARGIN

    def _base_url(self) -> str:
        if not self.url:
            raise AirflowUnreachable()
        return self.url


def _expiry(token: str) -> float | None:
    """The token's `exp`, read without verifying it: only Airflow can, and it will."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    expiry = claims.get("exp")
    return float(expiry) if isinstance(expiry, int | float) else None


def _invalid_variable(key: str) -> AirflowResponseError:
    message = f"Airflow variable {key} does not hold the JSON Cornflow expects"
    return AirflowResponseError(message, status_code=400, detail=message, airflow_status=200)
