"""Execution files: the zip archive a run produced, uploaded by the worker and downloaded by
users, and the cleanup of old archives (EXECUTION_FILES, EXECUTION_FILES_PATH,
EXECUTION_FILES_CLEANUP_FREQUENCY).

An execution's `execution_files_status` says whether its archive can be downloaded: only with
status 1 (OK); a download finding no file marks the execution -2 (deleted), so that the
front end asks for the files again.
"""

from __future__ import annotations

import re
import time
import unicodedata
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import anyio
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from cornflow_fastapi.callers.guard import Caller
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import (
    TOO_LARGE_BODY,
    EndpointNotImplemented,
    InvalidUsage,
    RawBodyError,
    RecordedFailure,
)
from cornflow_fastapi.execution_files.storage import (
    FileStore,
    UnsafeIdentifier,
    execution_id_of,
    is_zip_archive,
)
from cornflow_fastapi.models import Execution, utcnow
from cornflow_fastapi.records.ownership import get_visible, visible
from cornflow_fastapi.request_parsing import Int, RequestSchema

NOT_GENERATED = 0
ERROR = -1
DELETED = -2
NOT_UP_TO_DATE = -3
OK = 1

STATUS_MESSAGES = {
    NOT_GENERATED: "The output files were not generated for this execution",
    ERROR: "The generation of the execution files failed. Please contact support.",
    DELETED: "The requested files have been deleted. Please wait while they are generated again.",
    NOT_UP_TO_DATE: "The requested files are not up-to-date. Please wait while they are "
    "generated again.",
    OK: "The files were generated successfully.",
}

NOT_ACTIVE = "Execution files are not active for this deployment"
CLEANUP_OFF = "Execution files cleanup is deactivated server-side."
NO_FILE = "Execution file status was 'OK' but not file was provided."
NOT_A_ZIP = "The execution file must be a valid .zip file"
STATUS_SAVED = "Execution files status saved correctly"
FILES_SAVED = "Execution files saved correctly"
NO_FILES_FOUND = "No execution files found"
FILE_FIELD = "execution_file"
# Executions looked up per query during a cleanup.
_LOOKUP_BATCH = 500


def _known_status(value: int) -> int:
    if value not in STATUS_MESSAGES:
        raise PydanticCustomError("marshmallow", "{message}", {"message": "Invalid value."})
    return value


class FilesStatusForm(RequestSchema):
    """The form of `POST /execution/files/<idx>/` (query string included, as Flask reads it)."""

    execution_files_status: Annotated[Int, AfterValidator(_known_status)]


def active_store(settings: CornflowSettings) -> FileStore:
    if not settings.execution_files:
        raise EndpointNotImplemented(NOT_ACTIVE)
    return FileStore.at(settings.execution_files_path)


def _mark(execution: Execution, status: int) -> None:
    execution.execution_files_status = status
    execution.updated_at = utcnow()


def _archive(store: FileStore, execution: Execution) -> Path:
    try:
        return store.archive_of(execution.id)
    except UnsafeIdentifier:
        raise InvalidUsage("Invalid identifier.") from None


# --- download --------------------------------------------------------------------------------


_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _header_value(value: str) -> str:
    """Werkzeug's quoting of a header parameter: as is when all token characters."""
    if not value:
        return '""'
    if _TOKEN_CHARS.issuperset(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def attachment(name: str) -> str:
    """The Content-Disposition Werkzeug's send_file writes for a download name.

    Control characters, which no header may carry (Werkzeug refuses them with a 500), become
    underscores.
    """
    name = _CONTROL.sub("_", name)
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        quoted = urllib.parse.quote(name, safe="!#$&+-.^_`|~")
        return f"attachment; filename={_header_value(simple)}; filename*=UTF-8''{quoted}"
    return f"attachment; filename={_header_value(name)}"


@dataclass(frozen=True)
class Download:
    path: Path
    headers: Mapping[str, str]


def _not_available(status: int) -> RawBodyError:
    message = STATUS_MESSAGES.get(status, "Unknown error")
    return RawBodyError(400, {"status": status, "error": message})


async def prepare_download(
    session: AsyncSession, caller: Caller, settings: CornflowSettings, idx: str
) -> Download:
    """The archive of an execution with status OK, with the Flask server's headers."""
    store = active_store(settings)
    execution = await get_visible(session, Execution, idx, caller, settings)
    status = execution.execution_files_status
    if status != OK:
        raise _not_available(status)
    path = _archive(store, execution)
    if not await anyio.to_thread.run_sync(path.is_file):
        _mark(execution, DELETED)
        await session.flush()
        raise RecordedFailure(_not_available(DELETED))
    # The server's local time, as Flask's time.strftime gives it.
    stamp = time.strftime("%Y%m%d-%H%M%S")
    headers = {
        "Content-Disposition": attachment(f"{execution.name}_{stamp}.zip"),
        "Cache-Control": "no-cache",
        "X-Message": STATUS_MESSAGES[OK],
        "X-Status-Code": "200",
    }
    return Download(path=path, headers=headers)


# --- upload ----------------------------------------------------------------------------------


def form_values(query: Any, form: Any) -> tuple[dict[str, Any], UploadFile | None]:
    """Flask's `request.values` (query string first, then form fields; first value of each
    key) and the uploaded `execution_file`."""
    values: dict[str, Any] = {}
    for key in query:
        values.setdefault(key, query.getlist(key)[0])
    upload: UploadFile | None = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == FILE_FIELD and upload is None:
                upload = value
            continue
        values.setdefault(key, value)
    return values, upload


async def save_files(
    session: AsyncSession,
    caller: Caller,
    settings: CornflowSettings,
    idx: str,
    status: int,
    upload: UploadFile | None,
) -> str:
    """Record the files status of an execution and, with status OK, store its archive."""
    store = active_store(settings)
    execution = await get_visible(session, Execution, idx, caller, settings)
    if status != OK:
        _mark(execution, status)
        await session.flush()
        return STATUS_SAVED
    if upload is None:
        raise InvalidUsage(NO_FILE)
    if upload.size is not None and upload.size > settings.max_body_bytes:
        raise RawBodyError(413, TOO_LARGE_BODY)
    if not await anyio.to_thread.run_sync(is_zip_archive, upload.filename, upload.file):
        raise InvalidUsage(NOT_A_ZIP)
    _archive(store, execution)
    await store.save(execution.id, upload.file)
    _mark(execution, OK)
    await session.flush()
    return FILES_SAVED


# --- cleanup ---------------------------------------------------------------------------------


async def cleanup(session: AsyncSession, caller: Caller, settings: CornflowSettings) -> str:
    """Delete the archives of executions not updated for the cleanup period, and the files of
    executions that do not exist (any file of the folder, as on the Flask server)."""
    store = active_store(settings)
    period = settings.execution_files_cleanup_frequency
    if period == 0:
        raise EndpointNotImplemented(CLEANUP_OFF)
    names = await store.entries()
    if names is None:
        return NO_FILES_FOUND

    owners = {name: execution_id_of(name) for name in names}
    executions = await _executions(session, caller, settings, set(owners.values()))
    now = utcnow()
    try:
        threshold = now - timedelta(days=period)
    except OverflowError:
        threshold = datetime.min if period > 0 else datetime.max
    expired = [
        name
        for name, execution_id in owners.items()
        if (execution := executions.get(execution_id)) is None or execution.updated_at <= threshold
    ]
    deleted = 0
    for name in expired:
        if not await store.remove(name):
            continue
        deleted += 1
        execution = executions.get(owners[name])
        if execution is not None:
            _mark(execution, DELETED)
    await session.flush()
    return f"{deleted} files were deleted."


async def _executions(
    session: AsyncSession, caller: Caller, settings: CornflowSettings, ids: set[str]
) -> dict[str, Execution]:
    found: dict[str, Execution] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _LOOKUP_BATCH):
        batch = ordered[start : start + _LOOKUP_BATCH]
        statement = visible(select(Execution), Execution, caller, settings).where(
            Execution.id.in_(batch)
        )
        for execution in (await session.execute(statement)).scalars():
            found[execution.id] = execution
    return found
