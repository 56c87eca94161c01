"""Settings: variable names, groups, and refusal of weak secrets outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mandarin.config import DEVELOPMENT_SECRET, MandarinSettings

STRONG = "a-production-secret-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SECRET_KEY", "ENVIRONMENT", "REDIS_URL", "ALLOWED_ORIGINS"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_run_a_development_server() -> None:
    settings = MandarinSettings()

    assert settings.environment == "development"
    assert settings.database.url == "sqlite:///mandarin.db"
    assert settings.secret_key == DEVELOPMENT_SECRET
    assert settings.jwt.access_token_minutes == 30
    assert settings.supabase.url is None
    assert settings.legacy.enabled is False
    assert settings.redis_url is None
    assert settings.allowed_origins == []


def test_environment_variables_fill_the_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": STRONG,
        "DATABASE_URL": "postgresql://app@db.example:6543/postgres",
        "DATABASE_TRANSACTION_POOLER": "true",
        "DATABASE_POOL_SIZE": "4",
        "SUPABASE_URL": "https://abcd.supabase.co",
        "SUPABASE_JWT_SECRET": STRONG + "-supabase",
        "LEGACY_SECRET_KEY": STRONG + "-legacy",
        "LEGACY_SECRET_KEY_FALLBACKS": f"{STRONG}-old1, {STRONG}-old2",
        "LEGACY_SESSION_LIFETIME_SECONDS": "86400",
        "REDIS_URL": "redis://cache:6379/0",
        "RATE_LIMIT_LOGIN_PER_IP": "7/minute",
        "JWT_ACCESS_TOKEN_MINUTES": "15",
        "JWT_REFRESH_TOKEN_DAYS": "60",
        "ALLOWED_ORIGINS": "https://app.example.com, https://www.example.com/",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    settings = MandarinSettings()

    assert settings.database.url == environment["DATABASE_URL"]
    assert settings.database.transaction_pooler is True
    assert settings.database.pool_size == 4
    assert settings.supabase.issuer == "https://abcd.supabase.co/auth/v1"
    assert settings.supabase.keys_url == "https://abcd.supabase.co/auth/v1/.well-known/jwks.json"
    assert settings.legacy.secret_key_fallbacks == [f"{STRONG}-old1", f"{STRONG}-old2"]
    assert settings.legacy.session_lifetime_seconds == 86400
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.rate_limit.login_per_ip == "7/minute"
    assert (settings.jwt.access_token_minutes, settings.jwt.refresh_token_days) == (15, 60)
    assert settings.allowed_origins == ["https://app.example.com", "https://www.example.com"]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"secret_key": "changeme"},
        {"secret_key": "too-short"},
        {"secret_key": STRONG, "legacy": {"secret_key": "dev"}},
        {"secret_key": STRONG, "legacy": {"secret_key": STRONG, "secret_key_fallbacks": ["x"]}},
        {"secret_key": STRONG, "supabase": {"url": "https://a.supabase.co", "jwt_secret": "s"}},
    ],
)
def test_weak_secrets_are_refused_outside_development(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="must be"):
        MandarinSettings(environment="production", **overrides)  # type: ignore[arg-type]


def test_weak_secrets_are_fine_in_development_and_testing() -> None:
    for environment in ("development", "testing"):
        settings = MandarinSettings(
            environment=environment, secret_key="dev", legacy={"secret_key": "dev"}
        )
        assert settings.legacy.enabled


@pytest.mark.parametrize(
    "overrides",
    [
        {"rate_limit": {"login_per_ip": "lots"}},
        {"allowed_origins": ["app.example.com"]},
        {"jwt": {"access_token_minutes": 0}},
        {"environment": "prod"},
    ],
)
def test_malformed_settings_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MandarinSettings(**overrides)  # type: ignore[arg-type]
