"""One JSON access log line per HTTP request."""

from __future__ import annotations

import json
import logging
import queue
import time
from collections.abc import Sequence
from logging.handlers import QueueHandler, QueueListener
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from svckit.http.request_id import current_request_id
from svckit.http.route import route_template

ACCESS_LOGGER_NAME = "svckit.access"


def start_background_logging(
    logger: logging.Logger, handlers: Sequence[logging.Handler]
) -> QueueListener:
    """Hand logger's records to handlers in a thread; the app stops the listener on shutdown."""
    # Writing to a terminal or a pipe can block; the event loop then only puts records on a queue.
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    logger.addHandler(QueueHandler(records))
    logger.propagate = False
    listener = QueueListener(records, *handlers, respect_handler_level=True)
    listener.start()
    return listener


class AccessLogMiddleware:
    """Log method, path, route, status, duration, request id, client and response size as JSON."""

    # Bodies, query strings and headers are never logged: they can carry tokens and passwords.

    def __init__(self, app: ASGIApp, *, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER_NAME)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        response_bytes = 0

        async def send_and_measure(message: Message) -> None:
            nonlocal status, response_bytes
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                response_bytes += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_measure)
        finally:
            # An exception with no response started becomes the server's 500.
            self._log(scope, status or 500, started, response_bytes)

    def _log(self, scope: Scope, status: int, started: float, response_bytes: int) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        state = scope.get("state") or {}
        fields: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "route": route_template(scope),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "request_id": state.get("request_id") or current_request_id(),
            "client_ip": client[0] if client else None,
            "response_bytes": response_bytes,
        }
        self.logger.info(json.dumps(fields, separators=(",", ":")), extra={"access": fields})
