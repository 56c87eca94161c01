"""Helpers shared by the Cornflow tests (importable: the tests folder is on pythonpath)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.auth import tokens
from cornflow_fastapi.config import CornflowSettings

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


class IsolatedSettings(CornflowSettings):
    """Settings built only from the arguments given: the test process's env never leaks in."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def make_settings(**overrides: Any) -> CornflowSettings:
    values: dict[str, Any] = {
        "flask_env": "testing",
        "secret_key": TEST_SECRET,
        "secret_bi_key": TEST_SECRET + "-bi",
        "signup_activated": 1,
        "airflow_url": "http://127.0.0.1:9",
        "password_hash_scheme": "bcrypt",
    }
    values.update(overrides)
    return IsolatedSettings(**values)


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    email: str
    password: str
    role: RoleId | None


ACCOUNTS = {
    "service": ("service_user", "service_user@cornflow.com", "Service_user1234", RoleId.SERVICE),
    "admin": ("admin", "admin@cornflow.com", "Admin_1234", RoleId.ADMIN),
    "planner": ("planner", "planner@cornflow.com", "Planner_1234", RoleId.PLANNER),
    "viewer": ("viewer", "viewer@cornflow.com", "Viewer_1234", RoleId.VIEWER),
    "dummy": ("dummy", "dummy@cornflow.com", "Dummy_1234", RoleId.DUMMY),
    "norole": ("norole", "norole@cornflow.com", "Norole_1234", None),
}


def bearer(username: str, *, secret: str = TEST_SECRET, hours: float = 24) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(secret, username, hours=hours)}"}


NO_TOKEN = (400, {"error": "Authorization header is missing"})
DENIED = (403, {"error": "You do not have permission to access this endpoint"})
ROLE_KEYS = ("service", "admin", "planner", "viewer", "dummy", "norole")

Expected = dict[str | None, tuple[int, Any]]
