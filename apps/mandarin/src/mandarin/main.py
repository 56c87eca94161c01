"""The Mandarin Blueprint application: `create_app(settings)` and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mandarin import errors, schema_migrations
from mandarin.auth.legacy import LegacySessionReader, legacy_cookie_counter
from mandarin.auth.router import router as auth_router
from mandarin.auth.supabase import SupabaseVerifier
from mandarin.auth.tokens import AccessTokens
from mandarin.clock import Clock, SystemClock
from mandarin.config import MandarinSettings
from mandarin.courses.router import authoring_router as courses_authoring_router
from mandarin.courses.router import router as courses_router
from mandarin.mnemonics.router import router as mnemonics_router
from mandarin.progress.router import router as progress_router
from mandarin.reviews.router import router as reviews_router
from svckit.db import Database
from svckit.health import ShutdownFlag, health_router
from svckit.http import (
    REQUEST_ID_HEADER,
    AccessLogMiddleware,
    BodySizeLimitMiddleware,
    Metrics,
    MetricsMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    metrics_endpoint,
)
from svckit.passwords import PasswordHasher
from svckit.ratelimit import RateLimiter

VERSION = "0.1.0"


async def _schema_at_head(connection: AsyncConnection) -> bool:
    version = await connection.scalar(
        text(f"SELECT version_num FROM {schema_migrations.VERSION_TABLE}")  # noqa: S608
    )
    return bool(version == schema_migrations.head_revision())


def create_app(
    settings: MandarinSettings,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the app; a database passed in (tests) is used as is and not disposed."""
    owns_database = database is None
    db = database or Database.from_url(
        settings.database.url,
        pool_size=settings.database.pool_size,
        max_overflow=settings.database.max_overflow,
        transaction_pooler=settings.database.transaction_pooler,
    )
    shutdown = ShutdownFlag()
    supabase = SupabaseVerifier(settings.supabase) if settings.supabase.url else None
    rate_limiter = RateLimiter(settings.redis_url or "memory://", namespace="mandarin")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        shutdown.set()
        if supabase is not None:
            await supabase.aclose()
        await rate_limiter.aclose()
        if owns_database:
            await db.dispose()

    app = FastAPI(
        title="Mandarin Blueprint",
        version=VERSION,
        description=(
            "Learning backend of Mandarin Blueprint: accounts, courses, the Hanzi Movie Method "
            "and spaced-repetition reviews. Errors are RFC 9457 problem details."
        ),
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    metrics = Metrics(namespace="mandarin")
    metrics.instrument_engine(db.engine)
    app.state.settings = settings
    app.state.database = db
    app.state.clock = clock or SystemClock()
    app.state.metrics = metrics
    app.state.legacy_cookie_counter = legacy_cookie_counter(metrics.registry)
    app.state.password_hasher = PasswordHasher(
        scheme="argon2",
        argon2_time_cost=settings.password.argon2_time_cost,
        argon2_memory_cost=settings.password.argon2_memory_cost,
        argon2_parallelism=settings.password.argon2_parallelism,
    )
    app.state.access_tokens = AccessTokens(
        settings.secret_key,
        issuer=settings.jwt.issuer,
        audience=settings.jwt.audience,
        lifetime=timedelta(minutes=settings.jwt.access_token_minutes),
    )
    app.state.supabase_verifier = supabase
    app.state.legacy_sessions = (
        LegacySessionReader(settings.legacy) if settings.legacy.enabled else None
    )
    app.state.rate_limiter = rate_limiter

    errors.install(app)
    app.include_router(auth_router)
    app.include_router(courses_router)
    app.include_router(courses_authoring_router)
    app.include_router(progress_router)
    app.include_router(mnemonics_router)
    app.include_router(reviews_router)
    app.include_router(health_router(schema_is_current=_schema_at_head, shutdown=shutdown))
    if settings.metrics_enabled:
        app.add_route("/metrics", metrics_endpoint(metrics), include_in_schema=False)

    # Added innermost first: the request id wraps everything, so even a 413 is traceable.
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, reject=errors.render_status
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            # The legacy cookie only travels on credentialed requests.
            allow_credentials="*" not in settings.allowed_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Retry-After", REQUEST_ID_HEADER],
        )
    return app


def app_from_environment() -> FastAPI:
    """Factory for ASGI servers: settings from the environment, read when the app is built."""
    return create_app(MandarinSettings())
