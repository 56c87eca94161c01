"""The Cornflow application: `create_app(settings)` and its lifespan."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.exceptions import HTTPException
from starlette.types import Scope

from cornflow_fastapi import errors, schema_migrations
from cornflow_fastapi.alarms.router import router as alarms_router
from cornflow_fastapi.auth.router import router as auth_router
from cornflow_fastapi.callers import openid
from cornflow_fastapi.cases.router import router as cases_router
from cornflow_fastapi.config import CORNFLOW_VERSION, CornflowSettings
from cornflow_fastapi.cors import FlaskCorsMiddleware
from cornflow_fastapi.datachecks.router import router as datachecks_router
from cornflow_fastapi.execution_files.router import router as execution_files_router
from cornflow_fastapi.executions.router import router as executions_router
from cornflow_fastapi.health.probe import HealthProbes, SharedProbe, service_user_check
from cornflow_fastapi.health.router import router as health_router
from cornflow_fastapi.instances.router import router as instances_router
from cornflow_fastapi.licences.router import router as licences_router
from cornflow_fastapi.orchestrators.local import LocalOrchestrator, LocalRunner, start_local_runner
from cornflow_fastapi.orchestrators.selection import build_orchestrator
from cornflow_fastapi.permissions.router import router as permissions_router
from cornflow_fastapi.roles.router import router as roles_router
from cornflow_fastapi.routing import HeadAsGetMiddleware, answer_unrouted, include_routers
from cornflow_fastapi.tables.router import router as tables_router
from cornflow_fastapi.users.router import router as users_router
from cornflow_fastapi.workflows.router import router as workflows_router
from svckit.db import Database
from svckit.health import ShutdownFlag
from svckit.health import health_router as probes_router
from svckit.http import (
    AccessLogMiddleware,
    BodySizeLimitMiddleware,
    GzipRequestMiddleware,
    Metrics,
    MetricsMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    metrics_endpoint,
)
from svckit.passwords import PasswordHasher

# The Flask server inflates gzip bodies (@inflate) on these routes only.
_INFLATED = (
    ("POST", re.compile(r"^/instance/$")),
    ("POST", re.compile(r"^/case/$")),
    ("PATCH", re.compile(r"^/case/[0-9]+/data/$")),
)


def _accepts_gzip(scope: Scope) -> bool:
    method, path = scope.get("method"), scope.get("path", "")
    return any(method == m and pattern.match(path) for m, pattern in _INFLATED)


async def _schema_at_head(connection: AsyncConnection) -> bool:
    version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    return bool(version == schema_migrations.HEAD_REVISION)


def create_app(settings: CornflowSettings, *, database: Database | None = None) -> FastAPI:
    """Build the app; a database passed in (tests) is used as is and not disposed.

    With CORNFLOW_BACKEND=local the lifespan registers the installed apps and starts the local
    runner's workers, unless a database was passed in: whoever passes one runs any background
    work against it themselves.
    """
    owns_database = database is None
    db = database or Database.from_url(settings.database_url)
    shutdown = ShutdownFlag()
    oidc_verifier = openid.build_verifier(settings)
    orchestrator = build_orchestrator(settings, db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner: LocalRunner | None = None
        if owns_database and isinstance(orchestrator, LocalOrchestrator):
            runner = await start_local_runner(settings, db, orchestrator)
        _app.state.local_runner = runner
        try:
            yield
        finally:
            shutdown.set()
            if runner is not None:
                await runner.stop()
            if orchestrator is not None:
                await orchestrator.aclose()
            if oidc_verifier is not None:
                await oidc_verifier.aclose()
            if owns_database:
                await db.dispose()

    app = FastAPI(
        title="Cornflow",
        version=CORNFLOW_VERSION,
        description="Cornflow optimization server, wire-compatible with Cornflow 1.3.9",
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url="/docs",
        redoc_url=None,
    )
    metrics = Metrics(namespace="cornflow")
    metrics.instrument_engine(db.engine)
    app.state.settings = settings
    app.state.database = db
    app.state.metrics = metrics
    app.state.password_hasher = PasswordHasher(scheme=settings.password_hash_scheme)
    app.state.oidc_verifier = oidc_verifier
    app.state.orchestrator = orchestrator
    interval = settings.health_check_interval
    app.state.health_probes = HealthProbes(
        service_user=SharedProbe(service_user_check(db, settings.cornflow_service_user), interval),
        backend=None if orchestrator is None else SharedProbe(orchestrator.is_alive, interval),
    )

    errors.install(app)

    async def unrouted(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return answer_unrouted(request, exc)

    app.add_exception_handler(HTTPException, unrouted)

    routers = [
        health_router,
        auth_router(settings),
        users_router,
        roles_router,
        permissions_router,
        instances_router,
        # Files before executions: `/execution/files/<idx>/` must win over `/execution/<idx>/`.
        execution_files_router,
        executions_router,
        datachecks_router,
        cases_router,
        workflows_router,
        tables_router,
        licences_router,
    ]
    if settings.alarms_enabled:
        routers.append(alarms_router)
    include_routers(app, routers)
    app.include_router(probes_router(schema_is_current=_schema_at_head, shutdown=shutdown))
    if settings.metrics_enabled:
        app.add_route("/metrics", metrics_endpoint(metrics), include_in_schema=False)

    # Added innermost first: the request id wraps everything, so even a 413 is traceable.
    app.add_middleware(
        GzipRequestMiddleware,
        max_inflated_bytes=settings.max_inflated_body_bytes,
        should_inflate=_accepts_gzip,
        reject=errors.render_status,
    )
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, reject=errors.render_status
    )
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
    origins = [origin.strip() for origin in settings.cors_origins.split(",") if origin.strip()]
    app.add_middleware(FlaskCorsMiddleware, origins=origins or ["*"])
    return app


def app_from_environment() -> FastAPI:
    """Factory for ASGI servers: settings from the environment, read when the app is built."""
    return create_app(CornflowSettings())
