"""Instances: the input data sets of optimisation problems (/instance/, /instancefile/)."""

from __future__ import annotations

import functools
from typing import Annotated, Any, BinaryIO

import anyio
from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import Caller, requires_caller
from cornflow_fastapi.dependencies import OrchestratorDep, SessionDep, SettingsDep
from cornflow_fastapi.errors import TOO_LARGE_BODY, InvalidUsage, RawBodyError
from cornflow_fastapi.instances import pulp_files, service
from cornflow_fastapi.instances.schemas import (
    InstanceCreate,
    InstanceData,
    InstanceDetail,
    InstanceEdit,
    InstanceFileForm,
)
from cornflow_fastapi.records.listing import QueryFilters
from cornflow_fastapi.records.shapes import InstanceBase
from cornflow_fastapi.records.workflows import requires_dag_caller
from cornflow_fastapi.request_parsing import REQUIRED, body_openapi, json_body, query_args, validate
from cornflow_fastapi.responses import DELETED, UPDATED, MessageResponse
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Instances"])

DETAIL_PATH = "/instance/{idx}/"


@router.get(catalog.INSTANCE.url_rule, name=catalog.INSTANCE.name, operation_id="list_instances")
async def list_instances(
    caller: Annotated[Caller, requires_caller(catalog.INSTANCE)],
    filters: Annotated[QueryFilters, query_args(QueryFilters)],
    session: SessionDep,
    settings: SettingsDep,
) -> list[InstanceBase]:
    """The caller's instances (everyone's for admins and service users), newest first."""
    instances = await service.list_instances(session, caller, settings, filters)
    return [InstanceBase.of(instance) for instance in instances]


@router.post(
    catalog.INSTANCE.url_rule,
    name=catalog.INSTANCE.name,
    operation_id="create_instance",
    status_code=201,
    openapi_extra=body_openapi(InstanceCreate),
)
async def create_instance(
    caller: Annotated[Caller, requires_dag_caller(catalog.INSTANCE)],
    body: Annotated[InstanceCreate, json_body(InstanceCreate)],
    session: SessionDep,
    orchestrator: OrchestratorDep,
) -> InstanceDetail:
    """Create an instance; its data must fit the instance schema of its workflow."""
    instance = await service.create_instance(
        session,
        user_id=caller.id,
        name=body.name,
        description=body.description,
        data=body.data,
        checks=body.checks,
        schema=body.schema_,
        schemas=orchestrator,
    )
    return InstanceDetail.of(instance, [])


@router.get(DETAIL_PATH, name=catalog.INSTANCE_DETAIL.name, operation_id="get_instance")
async def get_instance(
    caller: Annotated[Caller, requires_caller(catalog.INSTANCE_DETAIL)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> InstanceDetail:
    """One instance and its executions."""
    instance = await service.get_instance(session, caller, settings, idx)
    return InstanceDetail.of(instance, await service.list_executions(session, instance.id))


@router.put(
    DETAIL_PATH,
    name=catalog.INSTANCE_DETAIL.name,
    operation_id="update_instance",
    openapi_extra=body_openapi(InstanceEdit),
)
async def update_instance(
    caller: Annotated[Caller, requires_dag_caller(catalog.INSTANCE_DETAIL)],
    idx: str,
    body: Annotated[InstanceEdit, json_body(InstanceEdit)],
    session: SessionDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> MessageResponse:
    """Edit an instance's name, description or data; the editor becomes its owner."""
    await service.update_instance(
        session,
        caller,
        settings,
        idx,
        changes=body.model_dump(exclude_unset=True),
        schemas=orchestrator,
    )
    return UPDATED


@router.delete(DETAIL_PATH, name=catalog.INSTANCE_DETAIL.name, operation_id="delete_instance")
async def delete_instance(
    caller: Annotated[Caller, requires_caller(catalog.INSTANCE_DETAIL)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Delete an instance and its executions."""
    await service.delete_instance(session, caller, settings, idx)
    return DELETED


@router.get(
    "/instance/{idx}/data/", name=catalog.INSTANCE_DATA.name, operation_id="get_instance_data"
)
async def get_instance_data(
    caller: Annotated[Caller, requires_caller(catalog.INSTANCE_DATA)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> InstanceData:
    """One instance with its data and checks."""
    instance = await service.get_instance(session, caller, settings, idx, with_data=True)
    return InstanceData.of(instance)


async def _read_form(request: Request) -> FormData:
    try:
        return await request.form()
    except HTTPException:
        # Werkzeug reads a malformed multipart body as an empty form.
        return FormData()


def _form_fields(form: FormData) -> dict[str, Any]:
    """The text fields, the first value of each (a repeated field is read once)."""
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, value)
    return fields


def _uploaded_file(form: FormData) -> UploadFile | None:
    for key, value in form.multi_items():
        if key == "file" and isinstance(value, UploadFile):
            return value
    return None


_FILE_FORM_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["name", "description", "file"],
                    "properties": {
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "minimize": {"type": "boolean", "default": True},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


def _read_model_file(source: BinaryIO, filename: str, *, minimize: bool) -> dict[str, Any]:
    # Imported here, in the worker thread of the first upload: the reader pulls in PuLP, HiGHS
    # and NumPy, 16 MiB that every server process would otherwise carry from its start.
    from cornflow_fastapi.instances import model_reader

    return model_reader.read_model_file(source, filename, minimize=minimize)


@router.post(
    "/instancefile/",
    name=catalog.INSTANCE_FILE.name,
    operation_id="create_instance_from_file",
    status_code=201,
    openapi_extra=_FILE_FORM_OPENAPI,
)
async def create_instance_from_file(
    caller: Annotated[Caller, requires_caller(catalog.INSTANCE_FILE)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> InstanceDetail:
    """Create a `solve_model_dag` instance from an MPS or LP file (form field `file`)."""
    form = await _read_form(request)
    try:
        fields = validate(InstanceFileForm, _form_fields(form), location="form")
        description = fields.description
        if description is None:
            # Optional in the Flask server's schema, whose endpoint then crashes without it.
            raise InvalidUsage(str({"form": {"description": [REQUIRED]}}))
        upload = _uploaded_file(form)
        if upload is None:
            raise InvalidUsage("No file was provided")
        if pulp_files.extension_of(upload.filename) is None:
            raise InvalidUsage(pulp_files.EXTENSION_ERROR)
        if (upload.size or 0) > settings.max_instance_file_bytes:
            raise RawBodyError(413, TOO_LARGE_BODY)
        read = functools.partial(
            _read_model_file,
            upload.file,
            upload.filename or "",
            minimize=fields.minimize is not False,
        )
        try:
            model = await anyio.to_thread.run_sync(read)
        except pulp_files.ModelFileError as error:
            raise InvalidUsage(str(error)) from None
    finally:
        await form.close()
    instance = await service.create_instance_from_model(
        session,
        user_id=caller.id,
        name=fields.name,
        description=description,
        model=model,
    )
    return InstanceDetail.of(instance, [])
