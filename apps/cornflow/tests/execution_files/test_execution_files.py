"""/execution/files/<idx>/ (GET, POST) and /execution/files/cleanup/ (DELETE)."""

import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from cornflow_fastapi.execution_files.service import attachment
from cornflow_fastapi.execution_files.storage import FileStore, UnsafeIdentifier
from cornflow_fastapi.models import Execution, Instance, utcnow
from cornflow_fastapi.records.identifiers import NULL_HASH, aware_now, new_execution_id
from cornflow_support import DENIED, NO_TOKEN, Account
from svckit.db import Database

NOT_ACTIVE = (501, {"error": "Execution files are not active for this deployment"})
NOT_FOUND = (404, {"error": "The data entity does not exist on the database"})
OK_MESSAGE = "The files were generated successfully."
STATUS_SAVED = {"message": "Execution files status saved correctly"}
FILES_SAVED = {"message": "Execution files saved correctly"}


def zip_bytes(**files: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


ARCHIVE = zip_bytes(**{"report.txt": "all good"})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "execution_files"


@pytest.fixture
def files_client(build_client: Callable[..., Any], folder: Path) -> Any:
    return build_client(execution_files=1, execution_files_path=str(folder))


async def add_execution(
    database: Database, owner: Account, *, idx: str | None = None, **fields: Any
) -> str:
    created = aware_now()
    moment = created.replace(tzinfo=None)
    instance_id = new_execution_id(created, owner.id, "instance")
    execution_id = idx or new_execution_id(created, owner.id, instance_id)
    async with database.sessionmaker() as session, session.begin():
        session.add(
            Instance(
                id=instance_id,
                name="inst",
                data={},
                data_hash=NULL_HASH,
                user_id=owner.id,
                created_at=moment,
                updated_at=moment,
            )
        )
        await session.flush()
        values: dict[str, Any] = {
            "id": execution_id,
            "instance_id": instance_id,
            "name": "exec",
            "config": {},
            "user_id": owner.id,
            "state": 1,
            "data_hash": NULL_HASH,
            "execution_files_status": 0,
            "created_at": moment,
            "updated_at": moment,
            **fields,
        }
        session.add(Execution(**values))
    return execution_id


async def load(database: Database, execution_id: str) -> Execution:
    async with database.sessionmaker() as session:
        execution = await session.get(Execution, execution_id)
    assert execution is not None
    return execution


def upload(status: int, content: bytes | None = ARCHIVE, filename: str = "files.zip") -> Any:
    files = {"execution_file": (filename, content, "application/zip")} if content else None
    return {"data": {"execution_files_status": str(status)}, "files": files}


def roles(allowed: tuple[str, ...], success: tuple[int, Any]) -> dict[Any, Any]:
    everyone = ("service", "admin", "planner", "viewer", "dummy", "norole")
    expected: dict[Any, Any] = dict.fromkeys(everyone, DENIED)
    expected.update(dict.fromkeys(allowed, success))
    expected[None] = NO_TOKEN
    return expected


async def walk(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    method: str,
    path: str,
    expected: dict[Any, Any],
    **kwargs: Any,
) -> None:
    for role, (status, body) in expected.items():
        auth = headers[role] if role else {}
        response = await client.request(method, path, headers=auth, **kwargs)
        assert response.status_code == status, (role, response.text)
        if body is not ...:
            assert response.json() == body, role


READERS = ("service", "admin", "planner", "viewer")


def names_in(folder: Path) -> list[str]:
    """The entries of folder (none when it does not exist)."""
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def stored_bytes(path: Path) -> bytes:
    return path.read_bytes()


def fill(folder: Path, files: list[str], folders: list[str]) -> None:
    folder.mkdir()
    for name in files:
        (folder / name).write_bytes(ARCHIVE)
    for name in folders:
        (folder / name).mkdir()


# --- EXECUTION_FILES=0 ------------------------------------------------------------------------


async def test_not_active_by_default(
    client: AsyncClient,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    execution = await add_execution(database, accounts["planner"])
    path = f"/execution/files/{execution}/"
    await walk(client, headers, "GET", path, roles(READERS, NOT_ACTIVE))
    await walk(client, headers, "POST", path, roles(("service",), NOT_ACTIVE), **upload(1))
    await walk(
        client, headers, "DELETE", "/execution/files/cleanup/", roles(("service",), NOT_ACTIVE)
    )


# --- access -----------------------------------------------------------------------------------


async def test_access(
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    execution = await add_execution(database, accounts["planner"])
    path = f"/execution/files/{execution}/"
    async with files_client as client:
        await walk(
            client, headers, "POST", path, roles(("service",), (200, FILES_SAVED)), **upload(1)
        )
        # Viewers reach only their own executions: this one is the planner's.
        expected = roles(READERS, (200, ...))
        expected["viewer"] = NOT_FOUND
        for role, (status, _) in expected.items():
            response = await client.get(path, headers=headers[role] if role else {})
            assert response.status_code == status, role
            if status == 200:
                assert response.content == ARCHIVE
        await walk(
            client,
            headers,
            "DELETE",
            "/execution/files/cleanup/",
            roles(("service",), (200, {"message": "0 files were deleted."})),
        )


# --- upload -----------------------------------------------------------------------------------


async def test_upload_and_download(
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
    folder: Path,
) -> None:
    execution_id = await add_execution(database, accounts["planner"], name="my run")
    before = await load(database, execution_id)
    path = f"/execution/files/{execution_id}/"
    async with files_client as client:
        response = await client.post(path, headers=headers["service"], **upload(1))
        assert (response.status_code, response.json()) == (200, FILES_SAVED)
        assert stored_bytes(folder / f"{execution_id}.zip") == ARCHIVE
        assert names_in(folder) == [f"{execution_id}.zip"]
        stored = await load(database, execution_id)
        assert stored.execution_files_status == 1
        assert stored.updated_at >= before.updated_at

        response = await client.get(path, headers=headers["planner"])
    assert response.status_code == 200
    assert response.content == ARCHIVE
    assert response.headers["content-type"] == "application/zip"
    assert re.fullmatch(
        r'attachment; filename="my run_\d{8}-\d{6}\.zip"', response.headers["content-disposition"]
    )
    assert response.headers["x-message"] == OK_MESSAGE
    assert response.headers["x-status-code"] == "200"


async def test_a_new_upload_replaces_the_archive(
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
    folder: Path,
) -> None:
    execution_id = await add_execution(database, accounts["planner"])
    second = zip_bytes(other="2")
    async with files_client as client:
        await client.post(
            f"/execution/files/{execution_id}/", headers=headers["service"], **upload(1)
        )
        response = await client.post(
            f"/execution/files/{execution_id}/", headers=headers["service"], **upload(1, second)
        )
    assert response.status_code == 200
    assert stored_bytes(folder / f"{execution_id}.zip") == second
    assert names_in(folder) == [f"{execution_id}.zip"]


@pytest.mark.parametrize("status", [0, -1, -2, -3])
async def test_upload_of_a_status_only(
    status: int,
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
    folder: Path,
) -> None:
    execution_id = await add_execution(database, accounts["planner"], execution_files_status=1)
    async with files_client as client:
        response = await client.post(
            f"/execution/files/{execution_id}/", headers=headers["service"], **upload(status)
        )
    assert (response.status_code, response.json()) == (200, STATUS_SAVED)
    assert (await load(database, execution_id)).execution_files_status == status
    assert names_in(folder) == []


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (None, "files.zip", "Execution file status was 'OK' but not file was provided."),
        (b"not a zip", "files.zip", "The execution file must be a valid .zip file"),
        (ARCHIVE, "files.tar", "The execution file must be a valid .zip file"),
    ],
)
async def test_upload_needs_a_zip_archive(
    content: bytes | None,
    filename: str,
    message: str,
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
    folder: Path,
) -> None:
    execution_id = await add_execution(database, accounts["planner"])
    async with files_client as client:
        response = await client.post(
            f"/execution/files/{execution_id}/",
            headers=headers["service"],
            **upload(1, content, filename),
        )
    assert (response.status_code, response.json()) == (400, {"error": message})
    assert (await load(database, execution_id)).execution_files_status == 0
    assert names_in(folder) == []


@pytest.mark.parametrize(
    ("data", "query", "messages"),
    [
        ({}, "", {"execution_files_status": ["Missing data for required field."]}),
        ({"execution_files_status": "5"}, "", {"execution_files_status": ["Invalid value."]}),
        (
            {"execution_files_status": "ok"},
            "",
            {"execution_files_status": ["Not a valid integer."]},
        ),
        ({"execution_files_status": "1", "colour": "red"}, "", {"colour": ["Unknown field."]}),
        ({"execution_files_status": "1"}, "?run=0", {"run": ["Unknown field."]}),
    ],
)
async def test_upload_form_validation(
    data: dict[str, str],
    query: str,
    messages: dict[str, list[str]],
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    execution_id = await add_execution(database, accounts["planner"])
    async with files_client as client:
        response = await client.post(
            f"/execution/files/{execution_id}/{query}",
            headers=headers["service"],
            data=data,
            files={"execution_file": ("f.zip", ARCHIVE, "application/zip")},
        )
    assert (response.status_code, response.json()) == (400, {"error": str({"form": messages})})


async def test_upload_to_a_missing_execution(
    files_client: Any, headers: dict[str, dict[str, str]], folder: Path
) -> None:
    async with files_client as client:
        for idx in ("0" * 40, "%2e%2e", "..%2Fsecret", "a..b"):
            response = await client.post(
                f"/execution/files/{idx}/", headers=headers["service"], **upload(1)
            )
            assert response.status_code == 404, idx
    assert names_in(folder) == []


async def test_no_path_traversal_from_a_stored_identifier(
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
    folder: Path,
    tmp_path: Path,
) -> None:
    """An execution id that is not a plain name never becomes a path."""
    execution_id = await add_execution(database, accounts["planner"], idx="..\\..~evil")
    async with files_client as client:
        response = await client.post(
            f"/execution/files/{execution_id}/", headers=headers["service"], **upload(1)
        )
    assert (response.status_code, response.json()) == (400, {"error": "Invalid identifier."})
    assert (await load(database, execution_id)).execution_files_status == 0
    assert names_in(tmp_path) == []


def test_file_store_refuses_names_that_are_not_plain() -> None:
    store = FileStore.at("/srv/files")
    assert store.archive_of("ab12_-CD") == Path("/srv/files/ab12_-CD.zip")
    for bad in ("../x", "a/b", "..", "", "x.y", "a\x00b", "é"):
        with pytest.raises(UnsafeIdentifier):
            store.archive_of(bad)


# --- download ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (0, "The output files were not generated for this execution"),
        (-1, "The generation of the execution files failed. Please contact support."),
        (-2, "The requested files have been deleted. Please wait while they are generated again."),
        (-3, "The requested files are not up-to-date. Please wait while they are generated again."),
    ],
)
async def test_download_without_current_files(
    status: int,
    message: str,
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    execution_id = await add_execution(database, accounts["planner"], execution_files_status=status)
    async with files_client as client:
        response = await client.get(f"/execution/files/{execution_id}/", headers=headers["planner"])
    assert (response.status_code, response.json()) == (400, {"status": status, "error": message})
    assert list(response.json()) == ["status", "error"]


async def test_download_of_a_lost_file_marks_it_deleted(
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    execution_id = await add_execution(database, accounts["planner"], execution_files_status=1)
    async with files_client as client:
        response = await client.get(f"/execution/files/{execution_id}/", headers=headers["planner"])
    assert response.status_code == 400
    assert response.json() == {
        "status": -2,
        "error": "The requested files have been deleted. Please wait while they are generated "
        "again.",
    }
    # Recorded even though the answer is an error.
    assert (await load(database, execution_id)).execution_files_status == -2


async def test_download_of_someone_elses_or_a_missing_execution(
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
) -> None:
    execution_id = await add_execution(database, accounts["admin"], execution_files_status=1)
    async with files_client as client:
        for path in (f"/execution/files/{execution_id}/", "/execution/files/cleanup/"):
            response = await client.get(path, headers=headers["planner"])
            assert (response.status_code, response.json()) == NOT_FOUND


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("run_1.zip", "attachment; filename=run_1.zip"),
        ("my run.zip", 'attachment; filename="my run.zip"'),
        ('a"b\\c.zip', 'attachment; filename="a\\"b\\\\c.zip"'),
        ("", 'attachment; filename=""'),
        ("plan é.zip", "attachment; filename=\"plan e.zip\"; filename*=UTF-8''plan%20%C3%A9.zip"),
        ("line\nbreak.zip", "attachment; filename=line_break.zip"),
    ],
)
def test_attachment_header(name: str, header: str) -> None:
    assert attachment(name) == header


# --- cleanup ----------------------------------------------------------------------------------


async def test_cleanup(
    files_client: Any,
    headers: dict[str, dict[str, str]],
    database: Database,
    accounts: dict[str, Account],
    folder: Path,
) -> None:
    old = await add_execution(
        database,
        accounts["planner"],
        execution_files_status=1,
        updated_at=utcnow() - timedelta(days=91),
    )
    recent = await add_execution(database, accounts["planner"], execution_files_status=1)
    fill(folder, [f"{old}.zip", f"{recent}.zip", f"{'f' * 40}.zip", "notes.txt"], ["subfolder"])
    async with files_client as client:
        response = await client.delete("/execution/files/cleanup/", headers=headers["service"])
    assert (response.status_code, response.json()) == (200, {"message": "3 files were deleted."})
    assert names_in(folder) == [f"{recent}.zip", "subfolder"]
    assert (await load(database, old)).execution_files_status == -2
    assert (await load(database, recent)).execution_files_status == 1


async def test_cleanup_without_a_folder_or_a_period(
    build_client: Callable[..., Any], headers: dict[str, dict[str, str]], folder: Path
) -> None:
    async with build_client(execution_files=1, execution_files_path=str(folder)) as client:
        response = await client.delete("/execution/files/cleanup/", headers=headers["service"])
    assert (response.status_code, response.json()) == (200, {"message": "No execution files found"})
    async with build_client(
        execution_files=1, execution_files_path=str(folder), execution_files_cleanup_frequency=0
    ) as client:
        response = await client.delete("/execution/files/cleanup/", headers=headers["service"])
    assert (response.status_code, response.json()) == (
        501,
        {"error": "Execution files cleanup is deactivated server-side."},
    )
