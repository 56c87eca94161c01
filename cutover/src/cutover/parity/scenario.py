"""Scenario files: YAML documents of a setup and named request steps.

See cutover/README.md for the format; `load_scenarios` refuses a malformed file with a message
that names the file and the step.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cutover.parity.templating import RESERVED_NAMES, placeholders

ANONYMOUS = "anonymous"
EVERYONE = "all"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
CLI_ROLES = ("viewer", "planner", "admin", "service")
API_ROLES = ("dummy",)  # no CLI command creates it; granted through /user/role/ at start
ROLE_IDS = {"dummy": 0, "viewer": 1, "planner": 2, "admin": 3, "service": 4}
BODY_KEYS = ("json", "gzip", "raw", "multipart", "form")
STEP_KEYS = frozenset(
    {
        "name", "method", "path", "as", "headers", "content_type", "expect", "ignore",
        "compare_headers", "note", *BODY_KEYS, *(method.lower() for method in METHODS),
    }
)  # fmt: skip
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ScenarioError(ValueError):
    """A scenario file that does not follow the format."""


@dataclass(frozen=True)
class UserSpec:
    handle: str
    username: str
    email: str
    password: str
    roles: tuple[str, ...]

    @property
    def role_label(self) -> str:
        return "+".join(self.roles) if self.roles else "no role"


def _default_user(handle: str, roles: tuple[str, ...]) -> UserSpec:
    username = "service_user" if handle == "service" else handle
    # Upper and lower case, a digit and a special character: Cornflow's password policy.
    password = f"{handle.capitalize()}_1234"
    return UserSpec(handle, username, f"{username}@cornflow.com", password, roles)


DEFAULT_USERS: tuple[UserSpec, ...] = (
    _default_user("service", ("service",)),
    _default_user("admin", ("admin",)),
    _default_user("planner", ("planner",)),
    _default_user("viewer", ("viewer",)),
    _default_user("norole", ()),
    _default_user("dummy", ("dummy",)),
)


@dataclass(frozen=True)
class Setup:
    users: tuple[UserSpec, ...] = DEFAULT_USERS
    settings: tuple[tuple[str, str], ...] = ()

    def users_key(self) -> str:
        """Scenarios seeding the same users share one template database per server."""
        text = json.dumps([vars(user) for user in self.users], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def user(self, handle: str) -> UserSpec | None:
        return next((user for user in self.users if user.handle == handle), None)


@dataclass(frozen=True)
class Body:
    kind: str  # "none", or one of BODY_KEYS
    value: Any = None
    content_type: str | None = None


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    actor: str | None  # a seeded user's handle, ANONYMOUS, or None when headers say it all
    headers: dict[str, Any]
    body: Body
    expect: int | None
    ignore: tuple[str, ...] = ()
    compare_headers: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    description: str
    setup: Setup
    steps: tuple[Step, ...]

    def step_id(self, step: Step) -> str:
        return f"{self.name}/{step.name}"

    def role_of(self, step: Step) -> str:
        """Who sends the step, for the coverage table: a role label, anonymous or custom."""
        if step.actor is None:
            return "custom" if "authorization" in {h.lower() for h in step.headers} else ANONYMOUS
        if step.actor == ANONYMOUS:
            return ANONYMOUS
        user = self.setup.user(step.actor)
        return user.role_label if user else step.actor


def load_scenarios(directory: Path, only: list[str] | None = None) -> list[Scenario]:
    """Every *.yaml file of directory (sorted), or only the named ones."""
    files = sorted(directory.glob("*.yaml"))
    if only:
        missing = set(only) - {path.stem for path in files}
        if missing:
            raise ScenarioError(f"no scenario file for {sorted(missing)} in {directory}")
        files = [path for path in files if path.stem in only]
    return [load_scenario(path) for path in files]


def load_scenario(path: Path) -> Scenario:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ScenarioError(f"{path}: expected a mapping with `steps`")
    unknown = set(document) - {"description", "setup", "steps"}
    if unknown:
        raise ScenarioError(f"{path}: unknown keys {sorted(unknown)}")
    setup = _setup(path, document.get("setup") or {})
    raw_steps = document.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioError(f"{path}: `steps` must be a non-empty list")
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        steps.extend(_steps(path, index, raw, setup))
    _check_names(path, steps)
    return Scenario(
        name=path.stem,
        path=path,
        description=str(document.get("description", "")).strip(),
        setup=setup,
        steps=tuple(steps),
    )


def _setup(path: Path, raw: Any) -> Setup:
    if not isinstance(raw, dict) or set(raw) - {"users", "settings"}:
        raise ScenarioError(f"{path}: `setup` takes `users` and `settings`")
    settings = raw.get("settings") or {}
    if not isinstance(settings, dict):
        raise ScenarioError(f"{path}: `setup.settings` must map variable names to values")
    pairs = tuple(sorted((str(name), _env_value(value)) for name, value in settings.items()))
    if "users" not in raw:
        return Setup(settings=pairs)
    users: list[UserSpec] = []
    for entry in raw["users"] or []:
        users.append(_user(path, entry))
    handles = [user.handle for user in users]
    if len(set(handles)) != len(handles):
        raise ScenarioError(f"{path}: user handles must be unique: {handles}")
    if any(set(user.roles) & set(API_ROLES) or not user.roles for user in users) and not any(
        "admin" in user.roles for user in users
    ):
        raise ScenarioError(f"{path}: users without a CLI role need an admin user to set them up")
    return Setup(users=tuple(users), settings=pairs)


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _user(path: Path, entry: Any) -> UserSpec:
    if entry in (ANONYMOUS, EVERYONE) or (
        isinstance(entry, dict)
        and entry.get("handle")
        in (
            ANONYMOUS,
            EVERYONE,
        )
    ):
        raise ScenarioError(f"{path}: {ANONYMOUS!r} and {EVERYONE!r} cannot name a user")
    if isinstance(entry, str):
        return _default_user(entry, (entry,) if entry in ROLE_IDS else ())
    if not isinstance(entry, dict) or "handle" not in entry:
        raise ScenarioError(f"{path}: a user is a handle or a mapping with `handle`")
    unknown = set(entry) - {"handle", "username", "email", "password", "roles"}
    if unknown:
        raise ScenarioError(f"{path}: user {entry['handle']}: unknown keys {sorted(unknown)}")
    handle = str(entry["handle"])
    default = _default_user(handle, ())
    roles = tuple(str(role) for role in entry.get("roles", []))
    bad = [role for role in roles if role not in ROLE_IDS]
    if bad:
        raise ScenarioError(f"{path}: user {handle}: unknown roles {bad} (known: {list(ROLE_IDS)})")
    username = str(entry.get("username", default.username))
    return UserSpec(
        handle=handle,
        username=username,
        email=str(entry.get("email", f"{username}@cornflow.com")),
        password=str(entry.get("password", default.password)),
        roles=roles,
    )


def _steps(path: Path, index: int, raw: Any, setup: Setup) -> list[Step]:
    where = f"{path}: step {index + 1}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a step is a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ScenarioError(f"{where}: `name` must match {_NAME.pattern}")
    where = f"{path}: step {name!r}"
    unknown = set(raw) - STEP_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")
    method, request_path = _method_and_path(where, raw)
    bodies = [key for key in BODY_KEYS if key in raw]
    if len(bodies) > 1:
        raise ScenarioError(f"{where}: at most one of {BODY_KEYS}")
    body = Body("none")
    if bodies:
        kind = bodies[0]
        if kind == "raw" and not isinstance(raw["raw"], str):
            raise ScenarioError(f"{where}: `raw` is the body as text")
        if kind == "multipart" and not isinstance(raw["multipart"], dict):
            raise ScenarioError(f"{where}: `multipart` takes `fields` and `files`")
        body = Body(kind, raw[kind], raw.get("content_type"))
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict):
        raise ScenarioError(f"{where}: `headers` must be a mapping")
    actors = _actors(where, raw.get("as"), setup)
    expect = raw.get("expect")
    expanded = isinstance(raw.get("as"), list) or raw.get("as") == EVERYONE
    steps = []
    for actor in actors:
        status = _expected_status(where, expect, actor)
        steps.append(
            Step(
                name=f"{name}.{actor}" if expanded else name,
                method=method,
                path=request_path,
                actor=actor,
                headers={str(key): value for key, value in headers.items()},
                body=body,
                expect=status,
                ignore=tuple(str(item) for item in raw.get("ignore") or ()),
                compare_headers=tuple(
                    str(item).lower() for item in raw.get("compare_headers") or ()
                ),
                note=str(raw.get("note", "")).strip(),
            )
        )
    return steps


def _method_and_path(where: str, raw: dict[str, Any]) -> tuple[str, str]:
    shorthand = [method for method in METHODS if method.lower() in raw]
    if shorthand:
        if len(shorthand) > 1 or "method" in raw or "path" in raw:
            raise ScenarioError(f"{where}: give `method` and `path`, or one `get:`/`post:`/...")
        method = shorthand[0]
        request_path = raw[method.lower()]
    else:
        method = str(raw.get("method", "")).upper()
        request_path = raw.get("path")
        if method not in METHODS:
            raise ScenarioError(f"{where}: `method` must be one of {METHODS}")
    if not isinstance(request_path, str) or not request_path.startswith("/"):
        raise ScenarioError(f"{where}: the path must be a string starting with /")
    return method, request_path


def _actors(where: str, value: Any, setup: Setup) -> list[str | None]:
    if value is None:
        return [None]
    if value == EVERYONE:
        return [ANONYMOUS, *(user.handle for user in setup.users)]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise ScenarioError(f"{where}: `as` is a user handle, a list of them, or `all`")
    known = {ANONYMOUS, *(user.handle for user in setup.users)}
    for name in names:
        if name not in known:
            raise ScenarioError(f"{where}: `as: {name}` is not a seeded user ({sorted(known)})")
    return [str(name) for name in names]


def _expected_status(where: str, expect: Any, actor: str | None) -> int | None:
    if expect is None or isinstance(expect, int):
        return expect
    if isinstance(expect, dict):
        value = expect.get(actor, expect.get("*"))
        if value is not None and not isinstance(value, int):
            raise ScenarioError(f"{where}: expected statuses are integers")
        return value
    raise ScenarioError(f"{where}: `expect` is a status, or a mapping of `as` names (and *) to one")


def _check_names(path: Path, steps: list[Step]) -> None:
    seen: set[str] = set()
    for step in steps:
        if step.name in seen:
            raise ScenarioError(f"{path}: two steps are named {step.name!r}")
        if step.name.split(".")[0] in RESERVED_NAMES:
            raise ScenarioError(f"{path}: {step.name!r} is reserved ({sorted(RESERVED_NAMES)})")
        for expression in placeholders([step.path, step.headers, step.body.value]):
            head = expression.split(".")[0].split("(")[0]
            if head in RESERVED_NAMES:
                continue
            if not any(expression.startswith(earlier + ".") for earlier in seen):
                raise ScenarioError(
                    f"{path}: step {step.name!r}: {{{{{expression}}}}} names no earlier step"
                )
        seen.add(step.name)
