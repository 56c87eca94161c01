"""Run scenarios against Flask Cornflow and ours, step by step, and compare the answers."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cutover.parity import results
from cutover.parity.compare import compare
from cutover.parity.deviations import Deviation, explaining
from cutover.parity.endpoints import endpoint_of
from cutover.parity.normalise import COMPARED_HEADERS, Normaliser
from cutover.parity.results import ScenarioResult, StepResult
from cutover.parity.scenario import ANONYMOUS, API_ROLES, CLI_ROLES, ROLE_IDS, Scenario, Step
from cutover.parity.servers import (
    BASE_SETTINGS,
    FLASK,
    OURS,
    SIDES,
    Server,
    Templates,
    init_permissions,
)
from cutover.parity.templating import (
    Context,
    SeededUser,
    StepRecord,
    TemplateError,
    render,
    render_for_matching,
)
from cutover.parity.tokens import cornflow_claims, mint
from cutover.reference import FlaskCornflow
from cutover.servers import CornflowServer

REQUEST_TIMEOUT = 60.0


class SetupFailed(RuntimeError):
    """The scenario's users could not be prepared on one server."""


@dataclass(frozen=True)
class Request:
    """A request ready for httpx, rendered for one server."""

    method: str
    path: str
    headers: dict[str, str]
    content: bytes | None = None
    data: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None

    def send(self, client: httpx.Client) -> httpx.Response:
        return client.request(
            self.method,
            self.path,
            headers=self.headers,
            content=self.content,
            data=self.data,
            files=self.files,
        )


def build_request(step: Step, context: Context) -> Request:
    path = str(render(step.path, context))
    headers: dict[str, str] = {}
    if step.actor not in (None, ANONYMOUS):
        headers["Authorization"] = f"Bearer {context.resolve(f'token.{step.actor}')}"
    content: bytes | None = None
    data: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    body = step.body
    value = render(body.value, context)
    if body.kind in ("json", "gzip"):
        content = json.dumps(value).encode()
        headers["Content-Type"] = body.content_type or "application/json"
        if body.kind == "gzip":
            # mtime=0: the same bytes on every run.
            content = gzip.compress(content, mtime=0)
            headers["Content-Encoding"] = "gzip"
    elif body.kind == "raw":
        content = str(value).encode()
        if body.content_type:
            headers["Content-Type"] = body.content_type
    elif body.kind == "form":
        data = {str(key): str(item) for key, item in (value or {}).items()}
    elif body.kind == "multipart":
        data = {str(key): str(item) for key, item in (value.get("fields") or {}).items()}
        files = {
            str(field_name): (
                str(spec.get("filename", field_name)),
                str(spec.get("content", "")).encode(),
                str(spec.get("content_type", "application/octet-stream")),
            )
            for field_name, spec in (value.get("files") or {}).items()
        }
    for name, header_value in step.headers.items():
        rendered = render(header_value, context)
        if rendered is None:
            headers = {key: item for key, item in headers.items() if key.lower() != name.lower()}
        else:
            headers[name] = str(rendered)
    return Request(step.method, path, headers, content, data, files)


def response_record(response: httpx.Response) -> StepRecord:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return StepRecord(response.status_code, _headers(response), body)


def _headers(response: httpx.Response) -> dict[str, str]:
    return {name: ", ".join(response.headers.get_list(name)) for name in response.headers}


def _stop_all(servers: list[Server]) -> None:
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        for stopping in [pool.submit(server.stop) for server in servers]:
            stopping.result()


@dataclass
class Side:
    name: str
    server: Server
    client: httpx.Client
    context: Context
    normaliser: Normaliser


@dataclass
class ParityRunner:
    """Runs scenarios; keeps the seeded templates for the whole run."""

    templates: Templates
    secret_key: str
    deviations: list[Deviation]
    log_dir: Path | None = None
    ours_environment: Mapping[str, str] = field(default_factory=dict)

    def run(self, scenario: Scenario) -> ScenarioResult:
        result = ScenarioResult(name=scenario.name, description=scenario.description)
        started = time.monotonic()
        try:
            with self.sides(scenario) as sides:
                for step in scenario.steps:
                    result.steps.append(self._run_step(scenario, step, sides))
        except (RuntimeError, httpx.HTTPError, SetupFailed) as error:
            result.error = f"{type(error).__name__}: {error}"
        result.seconds = time.monotonic() - started
        return result

    @contextmanager
    def sides(self, scenario: Scenario) -> Iterator[dict[str, Side]]:
        """Both servers running on fresh copies of the scenario's seeded databases."""
        databases = self.templates.databases
        templates = self.templates.get(scenario.setup)
        settings = {**BASE_SETTINGS, **dict(scenario.setup.settings)}
        copies: dict[str, str] = {}
        with ExitStack() as stack:
            for side in SIDES:
                copies[side] = databases.copy(templates[side], f"{scenario.name}_{side}")
                stack.callback(databases.drop, copies[side])
            if scenario.setup.settings:
                with ThreadPoolExecutor(max_workers=2) as pool:
                    jobs = [
                        pool.submit(init_permissions, side, copies[side], self.secret_key, settings)
                        for side in SIDES
                    ]
                    for job in jobs:
                        job.result()
            servers: dict[str, Server] = {
                FLASK: FlaskCornflow(
                    copies[FLASK],
                    self.secret_key,
                    workers=1,
                    environment=settings,
                    log_path=self._log(scenario, FLASK),
                ),
                OURS: CornflowServer(
                    copies[OURS],
                    self.secret_key,
                    environment={**settings, **self.ours_environment},
                    log_path=self._log(scenario, OURS),
                ),
            }
            # Both stopped, side by side, even if one of them fails to start.
            stack.callback(_stop_all, list(servers.values()))
            with ThreadPoolExecutor(max_workers=2) as pool:
                for future in [pool.submit(server.start) for server in servers.values()]:
                    future.result()
            sides: dict[str, Side] = {}
            for name, server in servers.items():
                client = stack.enter_context(
                    httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT)
                )
                users = self._prepare_users(scenario, name, client)
                sides[name] = Side(
                    name=name,
                    server=server,
                    client=client,
                    context=Context(secret=self.secret_key, users=users),
                    normaliser=Normaliser(base_url=server.base_url, secret=self.secret_key),
                )
            flask_ids = {h: u.id for h, u in sides[FLASK].context.users.items()}
            our_ids = {h: u.id for h, u in sides[OURS].context.users.items()}
            if flask_ids != our_ids:
                raise SetupFailed(f"seeded user ids differ: flask {flask_ids}, ours {our_ids}")
            yield sides

    def _log(self, scenario: Scenario, side: str) -> Path | None:
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return self.log_dir / f"{scenario.name}-{side}.log"

    def _prepare_users(
        self, scenario: Scenario, side: str, client: httpx.Client
    ) -> dict[str, SeededUser]:
        """Learn the seeded users' ids, then give or take the roles no CLI command handles."""
        setup = scenario.setup
        admin = next((user for user in setup.users if "admin" in user.roles), None)
        ids: dict[str, int] = {}
        if admin is not None:
            token = mint(self.secret_key, cornflow_claims(admin.username))
            auth = {"Authorization": f"Bearer {token}"}
            listing = client.get("/user/", headers=auth)
            if listing.status_code != 200:
                raise SetupFailed(f"{side}: GET /user/ as {admin.handle}: {listing.text}")
            by_name = {row["username"]: row["id"] for row in listing.json()}
            missing = [user.username for user in setup.users if user.username not in by_name]
            if missing:
                raise SetupFailed(f"{side}: seeded users missing from GET /user/: {missing}")
            ids = {user.handle: by_name[user.username] for user in setup.users}
            for user in setup.users:
                changes: list[tuple[str, str, dict[str, int] | None]] = [
                    ("POST", "/user/role/", {"user_id": ids[user.handle], "role_id": ROLE_IDS[r]})
                    for r in user.roles
                    if r in API_ROLES
                ]
                if not set(user.roles) & set(CLI_ROLES):
                    changes.append(("DELETE", f"/user/role/{ids[user.handle]}/1/", None))
                for method, path, body in changes:
                    answer = client.request(method, path, headers=auth, json=body)
                    if answer.status_code not in (200, 201):
                        raise SetupFailed(f"{side}: {method} {path}: {answer.text}")
        else:
            for user in setup.users:
                login = client.post(
                    "/login/", json={"username": user.username, "password": user.password}
                )
                if login.status_code != 200:
                    raise SetupFailed(f"{side}: cannot log {user.handle} in: {login.text}")
                ids[user.handle] = login.json()["id"]
        return {
            user.handle: SeededUser(
                user.handle, ids[user.handle], user.username, user.email, user.password
            )
            for user in setup.users
        }

    def _run_step(self, scenario: Scenario, step: Step, sides: dict[str, Side]) -> StepResult:
        result = StepResult(
            id=scenario.step_id(step),
            endpoint=endpoint_of(step.method, render_for_matching(step.path)),
            role=scenario.role_of(step),
            method=step.method,
            path=step.path,
            outcome=results.ERROR,
            note=step.note,
        )
        responses: dict[str, httpx.Response] = {}
        problems: list[str] = []
        for name in SIDES:
            side = sides[name]
            try:
                request = build_request(step, side.context)
                responses[name] = request.send(side.client)
            except TemplateError as error:
                problems.append(f"{name}: cannot build the request: {error}")
            except httpx.HTTPError as error:
                problems.append(f"{name}: {type(error).__name__}: {error}")
            else:
                side.context.steps[step.name] = response_record(responses[name])
        normalised = {
            name: sides[name].normaliser.response(
                response.status_code,
                _headers(response),
                response.content,
                compared_headers=(*COMPARED_HEADERS, *step.compare_headers),
                ignore=step.ignore,
            )
            for name, response in responses.items()
        }
        result.left = normalised[FLASK].as_dict() if FLASK in normalised else None
        result.right = normalised[OURS].as_dict() if OURS in normalised else None
        if FLASK in responses and step.expect is not None:
            got = responses[FLASK].status_code
            if got != step.expect:
                problems.append(
                    f"the scenario expects {step.expect} from Flask, which answered {got}: "
                    f"{responses[FLASK].text[:300]}"
                )
        if len(normalised) == 2:
            comparison = compare(normalised[FLASK], normalised[OURS])
            result.differences, result.diff = comparison.differences, comparison.diff
            if comparison.equal:
                result.outcome = results.EQUAL
            else:
                result.deviation = explaining(
                    self.deviations,
                    result.id,
                    only_order=comparison.only_list_order,
                    database=self.templates.databases.kind,
                )
                result.outcome = results.EXPLAINED if result.deviation else results.DIFFERENT
        if problems:
            result.outcome = results.ERROR
            result.message = "; ".join(problems)
        return result
