"""Helpers shared by the Cornflow tests (importable: the tests folder is on pythonpath)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from cornflow_fastapi.access.catalog import RoleId
from cornflow_fastapi.callers import tokens
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


# The workflows Flask's own tests register (spec §11): the PuLP model with its schema, and
# workflows whose schemas accept anything.
EMPTY_CONFIG_WORKFLOWS = ("timer", "gc")


def pulp_workflow() -> dict[str, Any]:
    from cornflow_client import get_empty_schema, get_pulp_jsonschema

    pulp = get_pulp_jsonschema()
    return {
        "id": "solve_model_dag",
        "description": "PuLP models solved by CBC",
        "instance_schema": pulp,
        "solution_schema": pulp,
        "config_schema": get_empty_schema(solvers=["cbc", "PULP_CBC_CMD"]),
        "instance_checks_schema": {},
        "solution_checks_schema": {},
        "kpis_schema": {},
    }


def open_workflow(name: str) -> dict[str, Any]:
    return {
        "id": name,
        "description": f"{name}: schemas that accept anything",
        "instance_schema": {},
        "solution_schema": {},
        "config_schema": {},
        "instance_checks_schema": {},
        "solution_checks_schema": {},
        "kpis_schema": {},
    }


def pulp_model(name: str = "test") -> dict[str, Any]:
    """A small valid PuLP JSON model (two variables, one constraint)."""
    return {
        "objective": {
            "name": "OBJ",
            "coefficients": [{"name": "x", "value": 1}, {"name": "y", "value": 2}],
        },
        "constraints": [
            {
                "name": "c1",
                "sense": 1,
                "pi": None,
                "constant": -1,
                "coefficients": [{"name": "x", "value": 1}, {"name": "y", "value": 1}],
            }
        ],
        "variables": [
            {
                "name": "x",
                "lowBound": 0,
                "upBound": 10,
                "cat": "Integer",
                "dj": None,
                "varValue": None,
            },
            {
                "name": "y",
                "lowBound": 0,
                "upBound": 10,
                "cat": "Integer",
                "dj": None,
                "varValue": None,
            },
        ],
        "parameters": {"name": name, "sense": 1, "status": 0, "sol_status": 0},
        "sos1": [],
        "sos2": [],
    }
