"""Mandarin settings: one class, grouped by concern, read from the environment when the app starts.

A group's variables share its prefix: `DATABASE_URL` is `database.url`, `SUPABASE_JWT_SECRET` is
`supabase.jwt_secret`, `RATE_LIMIT_LOGIN_PER_IP` is `rate_limit.login_per_ip`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, HttpUrl, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from mandarin.scheduling.sm2 import Variant
from svckit.ratelimit import parse_limit
from svckit.settings import ServiceSettings, check_secret

DEVELOPMENT_SECRET = "development-secret-key-change-me-please"

Environment = Literal["development", "testing", "staging", "production"]


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class DatabaseSettings(BaseModel, frozen=True):
    url: str = "sqlite:///mandarin.db"
    pool_size: int = Field(default=10, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    # Supabase's transaction pooler (port 6543) and PgBouncer cannot keep prepared statements.
    transaction_pooler: bool = False


class JwtSettings(BaseModel, frozen=True):
    """Our own access tokens (HS256, signed with SECRET_KEY) and the refresh tokens beside them."""

    issuer: str = "mandarin"
    audience: str = "mandarin-api"
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)


class SupabaseSettings(BaseModel, frozen=True):
    """Supabase Auth: tokens signed with the project's JWT secret (HS256) or its keys (JWKS)."""

    url: HttpUrl | None = None
    jwt_secret: str | None = None
    # Defaults to <url>/auth/v1/.well-known/jwks.json.
    jwks_url: HttpUrl | None = None
    audience: str = "authenticated"

    @property
    def issuer(self) -> str | None:
        return f"{str(self.url).rstrip('/')}/auth/v1" if self.url else None

    @property
    def keys_url(self) -> str | None:
        if self.jwks_url is not None:
            return str(self.jwks_url)
        return f"{self.issuer}/.well-known/jwks.json" if self.issuer else None


class LegacySettings(BaseModel, frozen=True):
    """The Flask app's signed `session` cookie, accepted read-only until users have moved over."""

    secret_key: str | None = None
    # Flask's SECRET_KEY_FALLBACKS: older keys still accepted for verification.
    secret_key_fallbacks: Annotated[list[str], NoDecode] = []
    session_cookie_name: str = "session"
    # Flask's PERMANENT_SESSION_LIFETIME, which it applies to every cookie it reads.
    session_lifetime_seconds: int = Field(default=31 * 24 * 3600, ge=1)

    _split = field_validator("secret_key_fallbacks", mode="before")(_split_commas)

    @property
    def enabled(self) -> bool:
        return bool(self.secret_key)


class RateLimitSettings(BaseModel, frozen=True):
    """Limits in the `limits` notation ("5/minute", "100 per hour")."""

    enabled: bool = True
    login_per_ip: str = "30/minute"
    login_per_account: str = "10/minute"
    register_per_ip: str = "10/hour"
    register_per_account: str = "5/hour"
    # A batch is up to 500 answers; a device coming back online sends a few, not hundreds.
    sync_per_user: str = "60/minute"

    @field_validator(
        "login_per_ip",
        "login_per_account",
        "register_per_ip",
        "register_per_account",
        "sync_per_user",
    )
    @classmethod
    def _parseable(cls, value: str) -> str:
        parse_limit(value)
        return value


class PasswordSettings(BaseModel, frozen=True):
    """Argon2id cost; stored hashes cheaper than this are replaced at the next login."""

    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)


class ReviewSettings(BaseModel, frozen=True):
    """Review scheduling (`REVIEWS_SM2_VARIANT`)."""

    # The reading of SM-2 (spec §3.2) every SM-2 review uses. Pick another only after replaying
    # the legacy review logs shows that reading produced them (spec §3.6).
    sm2_variant: Variant = Variant.W


class MandarinSettings(ServiceSettings):
    """Everything the app reads from its environment."""

    model_config = SettingsConfigDict(
        extra="ignore",
        case_sensitive=False,
        env_nested_delimiter="_",
        # DATABASE_POOL_SIZE is database.pool_size, not database.pool.size.
        env_nested_max_split=1,
    )

    secret_fields: ClassVar[tuple[str, ...]] = ("secret_key",)

    environment: Environment = "development"
    secret_key: str = DEVELOPMENT_SECRET
    database: DatabaseSettings = DatabaseSettings()
    jwt: JwtSettings = JwtSettings()
    supabase: SupabaseSettings = SupabaseSettings()
    legacy: LegacySettings = LegacySettings()
    redis_url: str | None = None
    rate_limit: RateLimitSettings = RateLimitSettings()
    password: PasswordSettings = PasswordSettings()
    reviews: ReviewSettings = ReviewSettings()
    # Browser origins allowed by CORS, and the only foreign origins from which a legacy cookie may
    # authorize a state-changing request.
    allowed_origins: Annotated[list[str], NoDecode] = []
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    metrics_enabled: bool = True

    _split = field_validator("allowed_origins", mode="before")(_split_commas)

    @property
    def environment_name(self) -> str:
        return self.environment

    @field_validator("allowed_origins")
    @classmethod
    def _origins_are_origins(cls, origins: list[str]) -> list[str]:
        # Browsers send Origin as scheme://host[:port], never with a path or a trailing slash.
        normalised = [origin.rstrip("/") for origin in origins]
        for origin in normalised:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"not an origin: {origin!r}")
        return normalised

    @model_validator(mode="after")
    def _refuse_weak_nested_secrets(self) -> MandarinSettings:
        # A weak legacy key lets anyone forge the old cookies, which become our JWTs.
        for name, value in (
            ("LEGACY_SECRET_KEY", self.legacy.secret_key),
            ("SUPABASE_JWT_SECRET", self.supabase.jwt_secret),
        ):
            if value is not None:
                check_secret(name, value, environment=self.environment)
        for value in self.legacy.secret_key_fallbacks:
            check_secret("LEGACY_SECRET_KEY_FALLBACKS", value, environment=self.environment)
        return self
