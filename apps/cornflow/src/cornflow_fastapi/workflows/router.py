"""Workflows (DAGs): the worker write-back (/dag/...), deployed workflows, schemas and examples."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import Caller, requires_access, requires_caller
from cornflow_fastapi.dependencies import OrchestratorDep, SessionDep, SettingsDep
from cornflow_fastapi.models import User
from cornflow_fastapi.records.shapes import ExecutionBase
from cornflow_fastapi.request_parsing import body_openapi, json_body
from cornflow_fastapi.responses import UPDATED, MessageResponse
from cornflow_fastapi.routing import CornflowRoute
from cornflow_fastapi.workflows import service
from cornflow_fastapi.workflows.schemas import (
    EXAMPLE_DETAIL_FIELDS,
    EXAMPLE_SUMMARY_FIELDS,
    CaseChecks,
    DagResults,
    DeployedDag,
    DeployedDagCreate,
    DeployedDagEdit,
    InstanceChecks,
    ManualExecution,
    WorkflowName,
    WorkflowSchemas,
    dag_body,
    dump_example,
)

router = APIRouter(route_class=CornflowRoute, tags=["DAGs"])

RESULTS_SAVED = MessageResponse(message="results successfully saved")

Log = dict[str, Any] | None


# Fixed paths first: /dag/deployed/ must win over /dag/{idx}/.
@router.get("/dag/deployed/", name=catalog.DEPLOYED_DAG.name, operation_id="list_deployed_dags")
async def list_deployed_dags(
    _service: Annotated[User, requires_access(catalog.DEPLOYED_DAG)], session: SessionDep
) -> list[DeployedDag]:
    """The registered workflows with their schemas (service users)."""
    return [DeployedDag.of(row) for row in await service.list_deployed(session)]


@router.post(
    "/dag/deployed/",
    name=catalog.DEPLOYED_DAG.name,
    operation_id="create_deployed_dag",
    status_code=201,
    openapi_extra=body_openapi(DeployedDagCreate),
)
async def create_deployed_dag(
    _service: Annotated[User, requires_access(catalog.DEPLOYED_DAG)],
    body: Annotated[DeployedDagCreate, json_body(DeployedDagCreate)],
    session: SessionDep,
    settings: SettingsDep,
) -> DeployedDag:
    """Register a workflow and its six schemas, and grant the DAG permissions to use it."""
    row = await service.create_deployed(session, body, open_deployment=settings.open_deployment)
    return DeployedDag.of(row)


@router.put(
    "/dag/deployed/{idx}/",
    name=catalog.DEPLOYED_DAG_DETAIL.name,
    operation_id="update_deployed_dag",
    openapi_extra=body_openapi(DeployedDagEdit),
)
async def update_deployed_dag(
    _service: Annotated[User, requires_access(catalog.DEPLOYED_DAG_DETAIL)],
    idx: str,
    body: Annotated[DeployedDagEdit, json_body(DeployedDagEdit)],
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Replace a workflow's description or schemas."""
    await service.update_deployed(
        session,
        idx,
        body.model_dump(exclude_unset=True),
        open_deployment=settings.open_deployment,
    )
    return UPDATED


@router.post(
    "/dag/",
    name=catalog.DAG_MANUAL.name,
    operation_id="create_manual_execution",
    status_code=201,
    openapi_extra=body_openapi(ManualExecution),
)
async def create_manual_execution(
    caller: Annotated[Caller, requires_caller(catalog.DAG_MANUAL)],
    body: Annotated[tuple[ManualExecution, Log], dag_body(ManualExecution)],
    session: SessionDep,
    settings: SettingsDep,
) -> ExecutionBase:
    """Store an execution whose solution was computed elsewhere (state 2, not run)."""
    values, log = body
    execution = await service.create_manual_execution(session, caller, settings, values, log)
    return ExecutionBase.of(execution)


@router.put(
    "/dag/instance/{idx}/",
    name=catalog.DAG_INSTANCE.name,
    operation_id="save_instance_checks",
    openapi_extra=body_openapi(InstanceChecks),
)
async def save_instance_checks(
    caller: Annotated[Caller, requires_caller(catalog.DAG_INSTANCE)],
    idx: str,
    body: Annotated[InstanceChecks, json_body(InstanceChecks)],
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Store the checks a run computed on its instance."""
    changes = body.model_dump(exclude_unset=True)
    await service.save_instance_checks(session, caller, settings, idx, changes)
    return UPDATED


@router.put(
    "/dag/case/{idx}/",
    name=catalog.DAG_CASE.name,
    operation_id="save_case_checks",
    openapi_extra=body_openapi(CaseChecks),
)
async def save_case_checks(
    caller: Annotated[Caller, requires_caller(catalog.DAG_CASE)],
    idx: int,
    body: Annotated[CaseChecks, json_body(CaseChecks)],
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Store the checks and KPIs a data-check run computed on a case."""
    changes = body.model_dump(exclude_unset=True)
    await service.save_case_checks(session, caller, settings, idx, changes)
    return UPDATED


@router.get("/dag/{idx}/", name=catalog.DAG.name, operation_id="get_run_input")
async def get_run_input(
    caller: Annotated[Caller, requires_caller(catalog.DAG)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """An execution's input for the worker: instance id and data, solution so far, config."""
    return await service.get_run_input(session, caller, settings, idx)


@router.put(
    "/dag/{idx}/",
    name=catalog.DAG.name,
    operation_id="save_run_results",
    openapi_extra=body_openapi(DagResults),
)
async def save_run_results(
    caller: Annotated[Caller, requires_caller(catalog.DAG)],
    idx: str,
    body: Annotated[tuple[DagResults, Log], dag_body(DagResults)],
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> MessageResponse:
    """The worker's write-back: solution, logs, checks, KPIs and the final state."""
    values, log = body
    await service.save_run_results(
        session,
        caller,
        settings,
        idx,
        values=values.model_dump(include=values.model_fields_set, exclude={"log_json"}),
        log=log,
        schemas=orchestrator,
    )
    return RESULTS_SAVED


@router.get("/schema/", name=catalog.SCHEMA.name, operation_id="list_schemas")
async def list_schemas(
    user: Annotated[User, requires_access(catalog.SCHEMA)], session: SessionDep
) -> list[WorkflowName]:
    """The workflows the caller may use."""
    names = await service.usable_workflows(session, user.id)
    return [WorkflowName(name=name) for name in names]


@router.get("/schema/{dag_name}/", name=catalog.SCHEMA_DETAILS.name, operation_id="get_schemas")
async def get_schemas(
    user: Annotated[User, requires_access(catalog.SCHEMA_DETAILS)],
    dag_name: str,
    session: SessionDep,
) -> WorkflowSchemas:
    """A workflow's instance, solution, config, checks and KPIs JSON schemas."""
    row = await service.workflow_schemas(session, user.id, dag_name)
    return WorkflowSchemas.of(dag_name, row)


@router.get("/example/{dag_name}/", name=catalog.EXAMPLE_DATA.name, operation_id="list_examples")
async def list_examples(
    user: Annotated[User, requires_access(catalog.EXAMPLE_DATA)],
    dag_name: str,
    session: SessionDep,
    orchestrator: OrchestratorDep,
) -> list[dict[str, Any]]:
    """Names and descriptions of a workflow's example data sets."""
    items = await service.examples(session, orchestrator, user.id, dag_name)
    return [dump_example(item, EXAMPLE_SUMMARY_FIELDS) for item in items]


@router.get(
    "/example/{dag_name}/{example_name}/",
    name=catalog.EXAMPLE_DATA_DETAIL.name,
    operation_id="get_example",
)
async def get_example(
    user: Annotated[User, requires_access(catalog.EXAMPLE_DATA_DETAIL)],
    dag_name: str,
    example_name: str,
    session: SessionDep,
    orchestrator: OrchestratorDep,
) -> dict[str, Any]:
    """One example data set of a workflow: its instance and, when there is one, solution."""
    item = await service.example(session, orchestrator, user.id, dag_name, example_name)
    return dump_example(item, EXAMPLE_DETAIL_FIELDS)
