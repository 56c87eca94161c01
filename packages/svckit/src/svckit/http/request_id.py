"""A request id for every request: the caller's if it is sane, else a fresh one."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 128

# Enough for UUIDs, hex and base64 ids from proxies; nothing that could forge a log line.
_SANE_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:+/=-]{{1,{MAX_REQUEST_ID_LENGTH}}}", re.ASCII)

_request_id: ContextVar[str | None] = ContextVar("svckit_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled by this task, if any."""
    return _request_id.get()


def is_sane_request_id(value: str) -> bool:
    return _SANE_REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


def _incoming_request_id(scope: Scope, header: str) -> str | None:
    name = header.lower().encode("latin-1")
    for key, value in scope["headers"]:
        if key.lower() == name:
            candidate = value.decode("latin-1")
            return candidate if is_sane_request_id(candidate) else None
    return None


class RequestIdMiddleware:
    """Give each request an id: in `scope["state"]["request_id"]`, a contextvar, the response."""

    def __init__(self, app: ASGIApp, *, header: str = REQUEST_ID_HEADER) -> None:
        self.app = app
        self.header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope, self.header) or new_request_id()
        # A fresh dict: some servers hand every request the same lifespan state mapping.
        scope["state"] = {**scope.get("state", {}), "request_id": request_id}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if self.header not in headers:
                    headers[self.header] = request_id
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Add `request_id` to every log record, so formatters can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True
