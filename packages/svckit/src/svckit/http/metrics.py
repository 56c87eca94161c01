"""Prometheus metrics: HTTP latency and errors, database time and connections, auth failures."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from svckit.http.route import UNMATCHED_ROUTE, route_template

# p50/p95/p99 are interpolated inside a bucket, so the buckets are dense where the targets lie
# (a few ms to a second) and still reach the slow solver-adjacent requests.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
DB_QUERY_BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

# Anything else a client sends as a method is folded into one label value.
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
)
_QUERY_OPERATIONS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
_QUERY_START = "_svckit_query_started"


def _method_label(method: str) -> str:
    return method if method in _KNOWN_METHODS else "OTHER"


def _operation_label(statement: str) -> str:
    words = statement.lstrip().split(None, 1)
    operation = words[0].upper() if words else ""
    return operation if operation in _QUERY_OPERATIONS else "OTHER"


class Metrics:
    """The metrics of one app, in a registry of its own so several apps can share a process."""

    def __init__(
        self,
        *,
        namespace: str = "",
        registry: CollectorRegistry | None = None,
        process_metrics: bool = True,
        latency_buckets: Sequence[float] = LATENCY_BUCKETS,
        db_query_buckets: Sequence[float] = DB_QUERY_BUCKETS,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if process_metrics:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        common: dict[str, Any] = {"namespace": namespace, "registry": self.registry}
        self.request_duration = Histogram(
            "http_request_duration_seconds",
            "Time from receiving a request to sending the last byte of its response.",
            ["method", "route", "status_class"],
            buckets=latency_buckets,
            **common,
        )
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            **common,
        )
        self.errors = Counter(
            "http_request_errors",
            "HTTP requests answered with a 4xx or 5xx status.",
            ["method", "route", "status"],
            **common,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being handled.",
            **common,
        )
        self.db_query_duration = Histogram(
            "db_query_duration_seconds",
            "Time spent in the database driver per statement.",
            ["operation"],
            buckets=db_query_buckets,
            **common,
        )
        self.db_connections_active = Gauge(
            "db_connections_active",
            "Database connections checked out of the pool.",
            **common,
        )
        self.auth_failures = Counter(
            "auth_failures",
            "Refused authentication attempts, by reason.",
            ["reason"],
            **common,
        )
        self.jwt_validation_errors = Counter(
            "jwt_validation_errors",
            "Tokens that failed validation, by reason.",
            ["reason"],
            **common,
        )
        self.legacy_password_hashes = Counter(
            "legacy_password_hashes",
            "Logins that verified a legacy password hash and replaced it, by scheme.",
            ["scheme"],
            **common,
        )

    def record_auth_failure(self, reason: str) -> None:
        """Count a refused login or credential; reason must come from a fixed vocabulary."""
        self.auth_failures.labels(reason=reason).inc()

    def record_jwt_validation_error(self, reason: str) -> None:
        """Count a token that failed validation (`expired`, `bad_signature`, ...)."""
        self.jwt_validation_errors.labels(reason=reason).inc()

    def record_legacy_password_hash(self, scheme: str) -> None:
        """Count a login that upgraded a legacy hash (`bcrypt`, `scrypt`, `pbkdf2`)."""
        self.legacy_password_hashes.labels(scheme=scheme).inc()

    def observe_request(self, *, method: str, route: str, status: int, duration: float) -> None:
        method = _method_label(method)
        self.request_duration.labels(
            method=method, route=route, status_class=f"{status // 100}xx"
        ).observe(duration)
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        if status >= 400:
            self.errors.labels(method=method, route=route, status=str(status)).inc()

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """Time every statement and count checked-out connections of engine."""
        sync_engine = engine.sync_engine

        @event.listens_for(sync_engine, "before_cursor_execute")
        def _before(
            _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
        ) -> None:
            # Internal statements run without an execution context; they are not timed.
            if context is not None:
                setattr(context, _QUERY_START, time.perf_counter())

        @event.listens_for(sync_engine, "after_cursor_execute")
        def _after(
            _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
        ) -> None:
            started = getattr(context, _QUERY_START, None)
            if started is not None:
                self.db_query_duration.labels(operation=_operation_label(statement)).observe(
                    time.perf_counter() - started
                )

        @event.listens_for(sync_engine, "checkout")
        def _checkout(_dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            self.db_connections_active.inc()

        @event.listens_for(sync_engine, "checkin")
        def _checkin(_dbapi_connection: Any, _record: Any) -> None:
            self.db_connections_active.dec()

        @event.listens_for(sync_engine, "detach")
        def _detach(_dbapi_connection: Any, _record: Any) -> None:
            # A detached connection never comes back through checkin.
            self.db_connections_active.dec()

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The registry in the exposition format accept asks for, and its content type."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


def metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint serving metrics; mount with `app.add_route("/metrics", ...)`."""

    async def serve_metrics(request: Request) -> Response:
        body, content_type = metrics.render(request.headers.get("accept", ""))
        return Response(body, media_type=content_type)

    return serve_metrics


class MetricsMiddleware:
    """Record latency, count and errors of every HTTP request by method and route template."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            self.metrics.in_flight.dec()
            # The router has filled scope["route"] by now; an exception before any response
            # becomes the server's 500.
            self.metrics.observe_request(
                method=scope["method"],
                route=route_template(scope) or UNMATCHED_ROUTE,
                status=status or 500,
                duration=time.perf_counter() - started,
            )
