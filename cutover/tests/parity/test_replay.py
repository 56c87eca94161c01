"""Replaying a recorded request log against two small local servers that differ in one answer."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.parity import results
from cutover.parity.cli import EXIT_DIFFERENT, EXIT_OK, EXIT_USAGE, main
from cutover.parity.replay import LogError, parse_line, read_log, replay
from parity.local_servers import LocalServer


@pytest.fixture
def servers() -> Iterator[tuple[LocalServer, LocalServer]]:
    with LocalServer("left") as left, LocalServer("right") as right:
        yield left, right


GZIPPED = gzip.compress(b'{"name": "zipped"}', mtime=0)


def nginx_line(method: str, path: str, body: bytes, **headers: str) -> bytes:
    """A line as nginx's `escape=json` writes it: bytes >= 0x80 raw, control bytes as \\u00XX."""
    escaped = bytearray()
    for byte in body:
        if byte in b'"\\':
            escaped += b"\\" + bytes([byte])
        elif byte < 0x20:
            escaped += f"\\u{byte:04x}".encode()
        else:
            escaped.append(byte)
    header_json = json.dumps({name.replace("_", "-"): value for name, value in headers.items()})
    return (
        b'{"time":"2026-11-23T10:00:00+00:00","method":"' + method.encode()
        + b'","path":"' + path.encode() + b'","headers":' + header_json.encode()
        + b',"body":"' + bytes(escaped) + b'","status":200}\n'
    )  # fmt: skip


def write_log(path: Path) -> Path:
    login = b'{"username": "planner", "password": "Pl\xc3\xa4nner_1"}'
    base64_line = {
        "method": "PUT",
        "path": "/echo/b64/",
        "body_encoding": "base64",
        "body": base64.b64encode(b"\x00\xff binary").decode(),
    }
    lines = [
        nginx_line("GET", "/health/", b"", authorization="", content_type=""),
        nginx_line("POST", "/login/", login, content_type="application/json"),
        nginx_line(
            "POST",
            "/echo/?x=1",
            GZIPPED,
            content_type="application/json",
            content_encoding="gzip",
            authorization="Bearer abc",
        ),
        json.dumps(base64_line).encode() + b"\n",
        b"\n",
        nginx_line("GET", "/user/999/", b"", authorization="Bearer abc"),
        nginx_line("GET", "/user", b""),
        nginx_line("DELETE", "/echo/1/", b""),
    ]
    path.write_bytes(b"".join(lines))
    return path


def replay_args(log: Path, left: str, right: str, report_dir: Path) -> list[str]:
    return ["replay", str(log), "--left", left, "--right", right, "--report-dir", str(report_dir)]


def test_bodies_come_back_byte_for_byte(tmp_path: Path) -> None:
    recorded = list(read_log(write_log(tmp_path / "requests.jsonl")))
    assert [request.line for request in recorded] == [1, 2, 3, 4, 6, 7, 8]
    health, login, zipped, binary, missing, _redirect, delete = recorded
    assert health.headers == {}  # nginx logs absent headers as ""
    assert login.body == b'{"username": "planner", "password": "Pl\xc3\xa4nner_1"}'
    assert zipped.body == GZIPPED
    assert zipped.headers == {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "authorization": "Bearer abc",
    }
    assert binary.body == b"\x00\xff binary"
    assert (missing.method, missing.path, missing.status) == ("GET", "/user/999/", 200)
    assert delete.method == "DELETE"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "a JSON object"),
        ('{"path": "/x/"}', "`method` and `path`"),
        ('{"method": "GET", "path": "http://x/"}', "must start with /"),
        ('{"method": "GET", "path": "/", "headers": []}', "`headers` must be an object"),
        ('{"method": "GET", "path": "/", "body": "!", "body_encoding": "base64"}', "base64"),
        ('{"method": "GET", "path": "/", "body_encoding": "hex"}', "utf-8 (default) or base64"),
        ('{"method": "GET", "path": "/", "status": "ok"}', "`status` must be an integer"),
    ],
)
def test_malformed_lines_are_refused(line: str, message: str) -> None:
    with pytest.raises(LogError, match="line 5") as error:
        parse_line(5, line)
    assert message in str(error.value)


def test_replay_compares_both_servers(
    servers: tuple[LocalServer, LocalServer], tmp_path: Path
) -> None:
    left, right = servers
    recorded = list(read_log(write_log(tmp_path / "requests.jsonl")))

    result = replay(recorded, left.url, right.url, deviations=[])

    outcomes = {step.id: step.outcome for step in result.steps}
    assert outcomes == {
        "replay/1": results.EQUAL,
        "replay/2": results.EQUAL,  # tokens with other instants, same claims
        "replay/3": results.EQUAL,
        "replay/4": results.EQUAL,
        "replay/6": results.DIFFERENT,
        "replay/7": results.EQUAL,  # each server's own port in Location
        "replay/8": results.EQUAL,
    }
    different = result.steps[4]
    assert different.endpoint == "GET /user/<int:user_id>/"
    assert different.recorded_status == 200
    assert "the left server's data is not the recorded one" in different.note
    assert '+  "error": "The data entity does not exist"' in different.diff
    # Both servers got exactly the recorded bytes and headers.
    for server in (left, right):
        assert ("POST", "/echo/?x=1", GZIPPED) in server.received
        assert ("PUT", "/echo/b64/", b"\x00\xff binary") in server.received


def test_safe_only_skips_writes(servers: tuple[LocalServer, LocalServer], tmp_path: Path) -> None:
    left, right = servers
    recorded = read_log(write_log(tmp_path / "requests.jsonl"))

    result = replay(recorded, left.url, right.url, deviations=[], safe_only=True)

    assert [step.method for step in result.steps] == ["GET", "GET", "GET"]
    assert all(method == "GET" for method, _path, _body in left.received)


def test_command_line_exit_status_and_report(
    servers: tuple[LocalServer, LocalServer], tmp_path: Path
) -> None:
    left, right = servers
    log = write_log(tmp_path / "requests.jsonl")

    different = main(replay_args(log, left.url, right.url, tmp_path / "one"))
    same = main(replay_args(log, left.url, left.url, tmp_path / "two"))

    assert different == EXIT_DIFFERENT
    assert same == EXIT_OK
    markdown = (tmp_path / "one" / "report.md").read_text()
    assert "# Parity report (replay): FAIL" in markdown
    assert "- `replay/6` (GET /user/<int:user_id>/): body" in markdown
    assert "200 / 404 / 404" not in markdown
    assert (
        "| `replay/6` | `GET /user/<int:user_id>/` | recorded | **DIFFERENT** | 404 / 404 "
        in markdown
    )
    data = json.loads((tmp_path / "one" / "report.json").read_text())
    assert data["mode"] == "replay"
    assert data["summary"]["different"] == 1


def test_listed_deviation_explains_a_replayed_line(
    servers: tuple[LocalServer, LocalServer], tmp_path: Path
) -> None:
    left, right = servers
    log = write_log(tmp_path / "requests.jsonl")
    deviations = tmp_path / "DEVIATIONS.md"
    deviations.write_text(
        "## Ours\n\n| what | why | parity step |\n| --- | --- | --- |\n"
        "| shorter message | clearer | `replay/6` |\n"
    )

    status = main(
        [*replay_args(log, left.url, right.url, tmp_path / "r"), "--deviations", str(deviations)]
    )

    assert status == EXIT_OK
    assert "explained" in (tmp_path / "r" / "report.md").read_text()


def test_a_malformed_log_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text('{"method": "GET", "path": "/health/"}\nnot json\n')

    status = main(replay_args(log, "http://127.0.0.1:9", "http://127.0.0.1:9", tmp_path / "r"))

    assert status == EXIT_USAGE
    assert not (tmp_path / "r").exists()


def test_a_server_that_does_not_answer_is_an_error(
    servers: tuple[LocalServer, LocalServer], tmp_path: Path
) -> None:
    left, _right = servers
    log = write_log(tmp_path / "requests.jsonl")

    status = main(replay_args(log, left.url, "http://127.0.0.1:9", tmp_path / "r"))

    assert status == EXIT_DIFFERENT
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["summary"]["error"] == 7
    first = data["scenarios"][0]["steps"][0]
    assert first["outcome"] == "error"
    assert "ConnectError" in first["message"]
