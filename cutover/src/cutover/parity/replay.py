"""Replay a recorded request log against two running servers and compare their answers.

The log is JSON lines, one request per line (README: "Replaying recorded traffic"):

    {"method": "GET", "path": "/instance/?limit=5", "headers": {"authorization": "Bearer ..."},
     "body": "", "status": 200}

`body` is the request body as a JSON string; `"body_encoding": "base64"` marks a base64 body.
Lines written by nginx's `escape=json` carry non-UTF-8 bytes raw, so the file is read with
`surrogateescape`, which gives those bytes back unchanged. Empty header values are dropped:
nginx logs a missing header as "".
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cutover.parity import results
from cutover.parity.compare import compare
from cutover.parity.deviations import Deviation, explaining
from cutover.parity.endpoints import endpoint_of
from cutover.parity.normalise import Normaliser
from cutover.parity.results import ScenarioResult, StepResult

# Not replayed: they describe the recorded connection, not the request.
HOP_HEADERS = frozenset(
    {"host", "content-length", "connection", "transfer-encoding", "keep-alive", "upgrade"}
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LogError(ValueError):
    """A line of the request log that does not follow the format."""


@dataclass(frozen=True)
class RecordedRequest:
    line: int
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    status: int | None = None


def parse_line(number: int, text: str) -> RecordedRequest:
    try:
        record = json.loads(text)
    except ValueError as error:
        raise LogError(f"line {number}: not JSON: {error}") from None
    if not isinstance(record, dict):
        raise LogError(f"line {number}: expected a JSON object")
    method, path = record.get("method"), record.get("path")
    if not isinstance(method, str) or not method or not isinstance(path, str):
        raise LogError(f"line {number}: `method` and `path` are required strings")
    if not path.startswith("/"):
        raise LogError(f"line {number}: `path` must start with / (path and query only)")
    raw_headers = record.get("headers")
    if raw_headers is None:
        raw_headers = {}
    if not isinstance(raw_headers, dict):
        raise LogError(f"line {number}: `headers` must be an object")
    headers = {
        str(name).lower(): str(value)
        for name, value in raw_headers.items()
        if value not in (None, "", "-") and str(name).lower() not in HOP_HEADERS
    }
    body = _body(number, record)
    status = record.get("status")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if status is not None and not isinstance(status, int):
        raise LogError(f"line {number}: `status` must be an integer")
    return RecordedRequest(number, method.upper(), path, headers, body, status)


def _body(number: int, record: dict[str, Any]) -> bytes:
    body = record.get("body") or ""
    if not isinstance(body, str):
        raise LogError(f"line {number}: `body` must be a string")
    encoding = record.get("body_encoding", "utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error:
            raise LogError(f"line {number}: `body` is not valid base64") from None
    if encoding != "utf-8":
        raise LogError(f"line {number}: `body_encoding` is utf-8 (default) or base64")
    return body.encode("utf-8", "surrogateescape")


def read_log(path: Path) -> Iterator[RecordedRequest]:
    with path.open(encoding="utf-8", errors="surrogateescape") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield parse_line(number, line)


def replay(
    requests: Iterable[RecordedRequest],
    left_url: str,
    right_url: str,
    *,
    deviations: list[Deviation],
    secret: str | None = None,
    safe_only: bool = False,
    name: str = "replay",
) -> ScenarioResult:
    """Send each request to left then right, in log order; compare as the scenarios do."""
    result = ScenarioResult(name=name, description=f"{left_url} against {right_url}")
    normalisers = (Normaliser(left_url, secret), Normaliser(right_url, secret))
    with (
        httpx.Client(base_url=left_url, timeout=60) as left,
        httpx.Client(base_url=right_url, timeout=60) as right,
    ):
        for request in requests:
            if safe_only and request.method not in SAFE_METHODS:
                continue
            result.steps.append(_replay_one(name, request, (left, right), normalisers, deviations))
    return result


def _replay_one(
    name: str,
    request: RecordedRequest,
    clients: tuple[httpx.Client, httpx.Client],
    normalisers: tuple[Normaliser, Normaliser],
    deviations: list[Deviation],
) -> StepResult:
    step = StepResult(
        id=f"{name}/{request.line}",
        endpoint=endpoint_of(request.method, request.path),
        role="recorded",
        method=request.method,
        path=request.path,
        outcome=results.ERROR,
        recorded_status=request.status,
    )
    normalised = []
    for client, normaliser in zip(clients, normalisers, strict=True):
        try:
            response = client.request(
                request.method, request.path, headers=request.headers, content=request.body or None
            )
        except httpx.HTTPError as error:
            step.message = f"{client.base_url}: {type(error).__name__}: {error}"
            return step
        headers = {key: ", ".join(response.headers.get_list(key)) for key in response.headers}
        normalised.append(normaliser.response(response.status_code, headers, response.content))
    step.left, step.right = normalised[0].as_dict(), normalised[1].as_dict()
    comparison = compare(normalised[0], normalised[1], left_name="left", right_name="right")
    step.differences, step.diff = comparison.differences, comparison.diff
    if comparison.equal:
        step.outcome = results.EQUAL
    else:
        step.deviation = explaining(deviations, step.id, only_order=comparison.only_list_order)
        step.outcome = results.EXPLAINED if step.deviation else results.DIFFERENT
    if request.status is not None and request.status != normalised[0].status:
        step.note = (
            f"recorded {request.status}, left answered {normalised[0].status}: "
            "the left server's data is not the recorded one"
        )
    return step
