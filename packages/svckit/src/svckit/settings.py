"""Settings base class shared by the apps: secrets are checked before anything starts."""

from __future__ import annotations

from typing import ClassVar

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32

# Values seen in tutorials, templates and our own examples: refused outside development.
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "",
        "changeme",
        "changethis",
        "secret",
        "secret_key",
        "supersecret",
        "development-secret-key-change-me-please",
    }
)


class InsecureSettingsError(ValueError):
    """A secret is missing, a known default or too short in a non-development environment."""


def check_secret(name: str, value: str | None, *, environment: str) -> None:
    """Refuse a default or short secret unless running in development or testing."""
    if environment in {"development", "testing"}:
        return
    if value is None or value.strip().lower() in KNOWN_DEFAULT_SECRETS:
        raise InsecureSettingsError(f"{name} must be set to a non-default value in {environment}")
    if len(value) < MIN_SECRET_LENGTH:
        raise InsecureSettingsError(
            f"{name} must be at least {MIN_SECRET_LENGTH} characters in {environment}"
        )


class ServiceSettings(BaseSettings):
    """Base of each app's settings; subclasses list the names of their secret fields."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)

    secret_fields: ClassVar[tuple[str, ...]] = ()

    @property
    def environment_name(self) -> str:
        return "development"

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> ServiceSettings:
        for field in self.secret_fields:
            check_secret(field, getattr(self, field), environment=self.environment_name)
        return self
