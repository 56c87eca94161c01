"""Files a run produced, stored as zip archives (/execution/files/...)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from cornflow_fastapi.access import catalog
from cornflow_fastapi.callers.guard import Caller, requires_caller
from cornflow_fastapi.dependencies import SessionDep, SettingsDep
from cornflow_fastapi.execution_files import service
from cornflow_fastapi.request_parsing import validate
from cornflow_fastapi.responses import MessageResponse
from cornflow_fastapi.routing import CornflowRoute

router = APIRouter(route_class=CornflowRoute, tags=["Execution files"])

ZIP_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {}}, "description": "The zip archive"}
}
UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["execution_files_status"],
                    "properties": {
                        "execution_files_status": {"type": "integer", "enum": [0, -1, -2, -3, 1]},
                        "execution_file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


# Before /execution/files/{idx}/: the fixed path wins, as Werkzeug's static rule does.
@router.delete(
    catalog.EXECUTION_FILES_CLEANUP.url_rule,
    name=catalog.EXECUTION_FILES_CLEANUP.name,
    operation_id="clean_execution_files",
)
async def clean_execution_files(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_FILES_CLEANUP)],
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Delete archives not updated for EXECUTION_FILES_CLEANUP_FREQUENCY days."""
    return MessageResponse(message=await service.cleanup(session, caller, settings))


@router.get(
    "/execution/files/{idx}/",
    name=catalog.EXECUTION_FILES.name,
    operation_id="download_execution_files",
    response_class=FileResponse,
    responses=ZIP_RESPONSE,
)
async def download_execution_files(
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_FILES)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The zip archive of an execution's files, when they were generated."""
    download = await service.prepare_download(session, caller, settings, idx)
    return FileResponse(download.path, media_type="application/zip", headers=download.headers)


@router.post(
    "/execution/files/{idx}/",
    name=catalog.EXECUTION_FILES.name,
    operation_id="upload_execution_files",
    openapi_extra=UPLOAD_FORM,
)
async def upload_execution_files(
    request: Request,
    caller: Annotated[Caller, requires_caller(catalog.EXECUTION_FILES)],
    idx: str,
    session: SessionDep,
    settings: SettingsDep,
) -> MessageResponse:
    """Store the files status of an execution and, with status 1, its zip archive."""
    service.active_store(settings)
    form = await request.form()
    try:
        values, upload = service.form_values(request.query_params, form)
        fields = validate(service.FilesStatusForm, values, location="form")
        message = await service.save_files(
            session, caller, settings, idx, fields.execution_files_status, upload
        )
    finally:
        await form.close()
    return MessageResponse(message=message)
