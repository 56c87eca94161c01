"""The Flask server and ours running at once on one database, each spoken to over its socket.

The database is initialised once (migrations, `permissions init`, an admin and the service user)
by one server's command line, for each of the two servers in turn, and the other server runs its
`migrations upgrade` as its start-up would. Then, in both directions:
accounts, tokens, passwords, permission rows and the objects of the API made through one server
are what the other sees and enforces.

The first test relies on running first after the initialisation: it checks the id sequences the
initialising server left behind, before anything else inserts rows.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from coexistence.support import (
    DENIED,
    INVALID_CREDENTIALS,
    PLANNER_ROLE,
    SECRET,
    SIDES,
    Account,
    Api,
    Side,
    cli,
    create_admin,
    fetch,
    new_password,
    other,
    unique,
)
from cutover.reference import FlaskCornflow
from cutover.servers import CornflowServer
from svckit.testing import scratch_database

pytestmark = pytest.mark.slow

ENVIRONMENT = {"SIGNUP_ACTIVATED": "1"}
ADMIN = ("coexist_admin", "coexist_admin@example.com", "Coexist_admin1!")
SERVICE = ("service_user", "service_user@cornflow.com", "Service_user1234")
VIEWER_ROLE = 1
GET, PATCH, POST, PUT, DELETE = 1, 2, 3, 4, 5
MISSING_ID = 999_999


@dataclass
class SharedDatabase:
    url: str
    initialised_by: Side
    apis: dict[Side, Api]
    # One admin token minted by each server.
    admin_tokens: dict[Side, str]
    logs: Path

    def admin_token(self, through: Side) -> str:
        """A token for a call through one server, minted by the other (tokens are shared)."""
        return self.admin_tokens[other(through)]

    def admin_call(self, api: Api, method: str, path: str, json: Any = None) -> Any:
        response = api.call(method, path, token=self.admin_token(api.side), json=json)
        assert response.status_code in (200, 201), (api.side, method, path, response.text)
        return response.json()


class Route(NamedTuple):
    """Where an object is made (first) and where it is then used (second)."""

    first: Api
    second: Api


def initialise(side: Side, url: str) -> None:
    """What `service init` does, with one server's command line."""
    cli(side, url, "migrations", "upgrade", **ENVIRONMENT)
    cli(side, url, "permissions", "init", **ENVIRONMENT)
    create_admin(side, url, *ADMIN)
    username, email, password = SERVICE
    cli(side, url, "users", "create", "service", "-u", username, "-e", email, "-p", password)


@pytest.fixture(scope="module", params=SIDES, ids=lambda side: f"initialised-by-{side}")
async def shared(
    request: pytest.FixtureRequest, scratch_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SharedDatabase]:
    side: Side = request.param
    logs = tmp_path_factory.mktemp(f"coexistence-{side}")
    async with scratch_database(scratch_dir, prefix=f"coexist_{side}") as url:
        await asyncio.to_thread(initialise, side, url)
        # What the other server's own start-up runs: a no-op on Cornflow's tables (see
        # test_shared_migrations), and ours adds the tables of its own it needs.
        await asyncio.to_thread(cli, other(side), url, "migrations", "upgrade", **ENVIRONMENT)
        flask = FlaskCornflow(
            url, SECRET, workers=1, environment=ENVIRONMENT, log_path=logs / "flask.log"
        )
        ours = CornflowServer(
            url, SECRET, workers=1, environment=ENVIRONMENT, log_path=logs / "ours.log"
        )
        apis: dict[Side, Api] = {}
        try:
            await start_together(flask, ours)
            apis = {"flask": Api("flask", flask.base_url), "ours": Api("ours", ours.base_url)}
            username, _, password = ADMIN
            tokens = {name: api.token(username, password) for name, api in apis.items()}
            yield SharedDatabase(url, side, apis, tokens, logs)
        finally:
            for api in apis.values():
                api.close()
            for server in (flask, ours):
                server.stop()


async def start_together(*servers: FlaskCornflow | CornflowServer) -> None:
    """Start the servers at once (most of a start is importing); raise the first failure."""
    outcomes = await asyncio.gather(
        *(asyncio.to_thread(server.start) for server in servers), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


@pytest.fixture(
    params=[("flask", "ours"), ("ours", "flask")], ids=["flask-then-ours", "ours-then-flask"]
)
def route(request: pytest.FixtureRequest, shared: SharedDatabase) -> Route:
    first, second = request.param
    return Route(shared.apis[first], shared.apis[second])


async def view_id(shared: SharedDatabase, url_rule: str) -> int:
    rows = await fetch(shared.url, "SELECT id FROM api_view WHERE url_rule = :rule", rule=url_rule)
    return int(rows[0][0])


async def stored_hash(shared: SharedDatabase, user_id: int) -> str:
    rows = await fetch(shared.url, "SELECT password FROM users WHERE id = :id", id=user_id)
    return str(rows[0][0])


def account_with_role(shared: SharedDatabase, via: Api, role: int | None) -> Account:
    """A user signed up through via (sign-up gives the planner role) holding role only."""
    account = via.signup(f"role{role}")
    if role != PLANNER_ROLE:
        helper = shared.apis[other(via.side)]
        if role is not None:
            body = {"user_id": account.id, "role_id": role}
            shared.admin_call(helper, "POST", "/user/role/", body)
        shared.admin_call(via, "DELETE", f"/user/role/{account.id}/{PLANNER_ROLE}/")
    return account


# --- ids: runs first (see the module docstring) ----------------------------------------------


async def test_new_rows_get_fresh_ids_whichever_server_inserts_them(
    shared: SharedDatabase,
) -> None:
    """After either server's `permissions init` (explicit ids, then setval on PostgreSQL)."""
    assert await fetch(shared.url, "SELECT MAX(id) FROM roles") == [(4,)], "must run first"
    # The server that did not initialise inserts first: its insert is the one a stale
    # sequence would break.
    turns = [
        shared.apis[side] for side in (other(shared.initialised_by), shared.initialised_by)
    ] * 2

    roles = [
        shared.admin_call(api, "POST", "/roles/", {"name": unique("role")})["id"] for api in turns
    ]
    roles_view = await view_id(shared, "/roles/")
    permissions = [
        shared.admin_call(
            api,
            "POST",
            "/permission/",
            {"role_id": roles[0], "action_id": action, "api_view_id": roles_view},
        )["id"]
        for api, action in zip(turns, (GET, PATCH, POST, PUT), strict=True)
    ]
    users = [api.signup("ids").id for api in turns]
    user_roles = [
        shared.admin_call(api, "POST", "/user/role/", {"user_id": user, "role_id": roles[1]})["id"]
        for api, user in zip(turns, users, strict=True)
    ]

    for ids in (roles, permissions, users, user_roles):
        assert ids == sorted(set(ids)), ids
    assert roles[0] > 4
    for api in shared.apis.values():
        listed = {row["id"] for row in shared.admin_call(api, "GET", "/roles/")}
        assert set(roles) <= listed, api
        for permission in permissions:
            shared.admin_call(api, "GET", f"/permission/{permission}/")


# --- accounts and tokens ---------------------------------------------------------------------


def test_a_user_signed_up_on_one_server_logs_in_on_the_other(
    shared: SharedDatabase, route: Route
) -> None:
    account = route.first.signup("signup")

    login = route.second.login(account.username, account.password)
    assert login.status_code == 200, login.text
    assert login.json()["id"] == account.id
    assert login.json()["change_password"] is False

    tokens = {route.first.side: account.token, route.second.side: login.json()["token"]}
    for minted_by, token in tokens.items():
        profiles = {}
        for api in shared.apis.values():
            check = api.call("GET", "/token/", token=token)
            assert (check.status_code, check.json()) == (200, {"valid": 1}), (minted_by, api)
            profile = api.call("GET", f"/user/{account.id}/", token=token)
            assert profile.status_code == 200, (minted_by, api, profile.text)
            profiles[api.side] = profile.json()
        assert profiles["flask"] == profiles["ours"], minted_by
        assert profiles["ours"]["username"] == account.username

    # Every user's timestamps, written by either server, as each server reads them back.
    listings = [shared.admin_call(api, "GET", "/user/") for api in route]
    assert listings[0] == listings[1]
    assert account.id in {user["id"] for user in listings[0]}


async def test_a_password_changed_on_one_server_is_the_password_on_the_other(
    shared: SharedDatabase, route: Route
) -> None:
    account = route.second.signup("password")
    before = await stored_hash(shared, account.id)
    password = new_password()

    change = route.first.call(
        "PUT", f"/user/{account.id}/", token=account.token, json={"password": password}
    )
    assert change.status_code == 200, change.text

    assert await stored_hash(shared, account.id) != before
    for api in shared.apis.values():
        login = api.login(account.username, password)
        assert login.status_code == 200, (api, login.text)
        # The change time written by one server is recent by the other's clock.
        assert login.json()["change_password"] is False, api
        old = api.login(account.username, account.password)
        assert (old.status_code, old.json()) == (400, INVALID_CREDENTIALS), api
    profiles = [shared.admin_call(api, "GET", f"/user/{account.id}/") for api in route]
    assert profiles[0] == profiles[1]
    assert profiles[0]["pwd_last_change"] is not None


async def test_bcrypt_hashes_written_by_either_server_verify_on_both(
    shared: SharedDatabase, route: Route
) -> None:
    account = route.first.signup("bcrypt")
    written = await stored_hash(shared, account.id)
    # Flask-Bcrypt's format and cost: $2b$, 10 rounds, 60 characters.
    assert written.startswith("$2b$10$"), written
    assert len(written) == 60

    for api in (route.second, route.first):
        assert api.login(account.username, account.password).status_code == 200, api
    # A hash of the expected cost is never rewritten at login, so neither server churns it.
    assert await stored_hash(shared, account.id) == written


async def test_argon2_hashes_lock_the_flask_server_out(shared: SharedDatabase) -> None:
    """PASSWORD_HASH_SCHEME=argon2 is documented as the setting for once Flask is retired.

    A login through a server so configured upgrades the user's Flask-Bcrypt hash to Argon2id,
    which Flask-Bcrypt cannot read: from then on the Flask server refuses that user (with the
    500 its bcrypt raises on a hash that is not bcrypt), while our servers, whatever their
    scheme, keep accepting the password and never turn the hash back into bcrypt.
    """
    flask, ours = shared.apis["flask"], shared.apis["ours"]
    argon2_server = CornflowServer(
        shared.url,
        SECRET,
        workers=1,
        environment={**ENVIRONMENT, "PASSWORD_HASH_SCHEME": "argon2"},
        log_path=shared.logs / "ours-argon2.log",
    )
    with argon2_server:
        argon2_api = Api("ours", argon2_server.base_url)
        try:
            migrated = flask.signup("argon2")
            assert (await stored_hash(shared, migrated.id)).startswith("$2b$")
            assert argon2_api.login(migrated.username, migrated.password).status_code == 200
            born_on_argon2 = argon2_api.signup("argon2")
        finally:
            argon2_api.close()

    for account in (migrated, born_on_argon2):
        assert (await stored_hash(shared, account.id)).startswith("$argon2id$")
        assert ours.login(account.username, account.password).status_code == 200
        assert (await stored_hash(shared, account.id)).startswith("$argon2id$")
        refused = flask.login(account.username, account.password)
        assert refused.status_code == 500, refused.text


# --- SQLite's file lock ----------------------------------------------------------------------


@pytest.mark.parametrize("side", ["flask", "ours"])
def test_a_write_waits_for_the_lock_another_process_holds_on_sqlite(
    shared: SharedDatabase, side: Side
) -> None:
    """Two servers on one SQLite file take turns at its write lock; neither may fail for it."""
    if not shared.url.startswith("sqlite"):
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")
    username = unique("locked")
    body = {"username": username, "email": f"{username}@example.com", "password": new_password()}
    answers: list[httpx.Response] = []

    def sign_up() -> None:
        answers.append(shared.apis[side].client.post("/signup/", json=body))

    holder = sqlite3.connect(shared.url.split(":///", 1)[1], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE roles SET name = name WHERE id = 0")
        request = threading.Thread(target=sign_up)
        request.start()
        # Held for less than Flask's busy timeout (pysqlite's 5 s); let go early once an answer
        # is back, since that answer is what this test is about.
        request.join(timeout=4)
        holder.execute("COMMIT")
    finally:
        holder.close()
    request.join()
    assert answers[0].status_code == 201, answers[0].text


# --- permissions -----------------------------------------------------------------------------


class Probe(NamedTuple):
    """A request that reaches the permission check without changing anything it is allowed to."""

    method: str
    # "{self}" is the caller's user id, "{role}" its role (Flask crashes on a missing pair).
    path: str
    url_rule: str
    body: Any = None


ACTIONS = {"GET": GET, "PATCH": PATCH, "POST": POST, "PUT": PUT, "DELETE": DELETE}

# Every endpoint both servers serve behind the permission check. Add the data-plane endpoints
# here as they are built.
PROBES = [
    Probe("GET", "/user/", "/user/"),
    Probe("GET", "/user/{self}/", "/user/<int:user_id>/"),
    Probe("PUT", "/user/{self}/", "/user/<int:user_id>/", {}),
    Probe("DELETE", f"/user/{MISSING_ID}/", "/user/<int:user_id>/"),
    Probe("PUT", f"/user/{MISSING_ID}/1/", "/user/<int:user_id>/<int:make_admin>/"),
    Probe("GET", "/user/role/", "/user/role/"),
    Probe("GET", "/user/role/{self}/{role}/", "/user/role/<int:user_id>/<int:role_id>/"),
    Probe("DELETE", f"/user/role/{MISSING_ID}/1/", "/user/role/<int:user_id>/<int:role_id>/"),
    Probe("GET", "/roles/", "/roles/"),
    Probe("GET", "/roles/1/", "/roles/<int:idx>/"),
    Probe("DELETE", "/roles/1/", "/roles/<int:idx>/"),
    Probe("GET", "/permission/", "/permission/"),
    Probe("GET", "/permission/1/", "/permission/<int:idx>/"),
    Probe("DELETE", f"/permission/{MISSING_ID}/", "/permission/<int:idx>/"),
    Probe("GET", "/action/", "/action/"),
    Probe("GET", "/apiview/", "/apiview/"),
]

ROLE_ACCOUNTS = {"dummy": 0, "viewer": 1, "planner": 2, "admin": 3, "service": 4, "no-role": None}


async def test_both_servers_enforce_the_permission_rows_in_the_database(
    shared: SharedDatabase,
) -> None:
    """Each answer is the one the rows dictate: 403 exactly where no grant covers the call."""
    grants = set(
        await fetch(
            shared.url,
            "SELECT pv.role_id, pv.action_id, av.url_rule FROM permission_view pv"
            " JOIN api_view av ON av.id = pv.api_view_id WHERE pv.deleted_at IS NULL",
        )
    )
    sides = [SIDES[index % 2] for index in range(len(ROLE_ACCOUNTS))]
    accounts = {
        name: account_with_role(shared, shared.apis[side], role)
        for (name, role), side in zip(ROLE_ACCOUNTS.items(), sides, strict=True)
    }

    wrong = []
    for name, account in accounts.items():
        role = ROLE_ACCOUNTS[name]
        for probe in PROBES:
            granted = (role, ACTIONS[probe.method], probe.url_rule) in grants
            path = probe.path.format(self=account.id, role=PLANNER_ROLE if role is None else role)
            answers = {
                api.side: api.call(probe.method, path, token=account.token, json=probe.body)
                for api in shared.apis.values()
            }
            seen = {side: (r.status_code, r.json()) for side, r in answers.items()}
            denied = [seen[side] == (403, DENIED) for side in SIDES]
            statuses = {status for status, _ in seen.values()}
            if denied != [not granted] * 2 or len(statuses) != 1:
                wrong.append((name, probe.method, path, "granted" if granted else "denied", seen))
    assert wrong == []


async def test_a_grant_made_on_one_server_is_honoured_and_its_revocation_refused_on_the_other(
    shared: SharedDatabase, route: Route
) -> None:
    role = shared.admin_call(route.first, "POST", "/roles/", {"name": unique("grantee")})["id"]
    account = account_with_role(shared, route.second, role)

    def answers() -> list[tuple[int, Any]]:
        return [
            (r.status_code, r.json())
            for r in (api.call("GET", "/roles/", token=account.token) for api in route)
        ]

    assert answers() == [(403, DENIED)] * 2

    body = {"role_id": role, "action_id": GET, "api_view_id": await view_id(shared, "/roles/")}
    grant = shared.admin_call(route.first, "POST", "/permission/", body)
    assert [status for status, _ in answers()] == [200, 200]

    shared.admin_call(route.second, "DELETE", f"/permission/{grant['id']}/")
    assert answers() == [(403, DENIED)] * 2


# --- objects of the API ----------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """A kind of object both servers serve, made through one and managed through the other.

    create makes one through the given server and returns its detail path; changes is the body
    of a PUT on it (None when the API has no update); delete_status is what a DELETE answers
    (Flask refuses to delete roles with a 501); deleted reads, through one server, whether the
    object at a detail path is gone (by default: that path answers 404).
    """

    create: Callable[[SharedDatabase, Api], str]
    changes: Callable[[], dict[str, Any]] | None
    delete_status: int = 200
    deleted: Callable[[SharedDatabase, Api, str], bool] | None = None


def detail_is_gone(shared: SharedDatabase, api: Api, path: str) -> bool:
    answer = api.call("GET", path, token=shared.admin_token(api.side))
    return answer.status_code == 404


def create_user(shared: SharedDatabase, api: Api) -> str:
    return f"/user/{api.signup('crud').id}/"


def create_role(shared: SharedDatabase, api: Api) -> str:
    role = shared.admin_call(api, "POST", "/roles/", {"name": unique("crud")})
    return f"/roles/{role['id']}/"


def create_permission(shared: SharedDatabase, api: Api) -> str:
    role = shared.admin_call(api, "POST", "/roles/", {"name": unique("crud")})["id"]
    views = shared.admin_call(api, "GET", "/apiview/")
    body = {"role_id": role, "action_id": GET, "api_view_id": views[0]["id"]}
    return f"/permission/{shared.admin_call(api, 'POST', '/permission/', body)['id']}/"


def create_user_role(shared: SharedDatabase, api: Api) -> str:
    user = api.signup("crud").id
    shared.admin_call(api, "POST", "/user/role/", {"user_id": user, "role_id": VIEWER_ROLE})
    return f"/user/role/{user}/{VIEWER_ROLE}/"


def user_role_is_gone(shared: SharedDatabase, api: Api, path: str) -> bool:
    # Flask answers a 500 for the detail of a missing assignment: look for it in the list.
    user_id, role_id = (int(part) for part in path.strip("/").split("/")[-2:])
    listed = shared.admin_call(api, "GET", "/user/role/")
    return not any((row["user_id"], row["role_id"]) == (user_id, role_id) for row in listed)


# Add instances, executions, cases... here as the data-plane endpoints are built.
RESOURCES = {
    "user": Resource(
        create_user, lambda: {"first_name": unique("first"), "last_name": unique("last")}
    ),
    "role": Resource(create_role, lambda: {"name": unique("renamed")}, delete_status=501),
    "permission": Resource(create_permission, lambda: {"action_id": PUT}),
    "user-role": Resource(create_user_role, None, deleted=user_role_is_gone),
}


@pytest.mark.parametrize("resource", RESOURCES.values(), ids=RESOURCES.keys())
def test_objects_made_on_one_server_are_read_updated_and_deleted_on_the_other(
    shared: SharedDatabase, route: Route, resource: Resource
) -> None:
    path = resource.create(shared, route.first)

    def read_on_both() -> list[tuple[int, Any]]:
        return [
            (r.status_code, r.json())
            for r in (api.call("GET", path, token=shared.admin_token(api.side)) for api in route)
        ]

    current = read_on_both()
    assert current[0][0] == 200, current
    assert current[0] == current[1]

    if resource.changes is not None:
        changes = resource.changes()
        shared.admin_call(route.second, "PUT", path, changes)
        current = read_on_both()
        assert current[0] == current[1]
        assert current[0][0] == 200
        assert {key: current[0][1][key] for key in changes} == changes

    deletion = route.second.call("DELETE", path, token=shared.admin_token(route.second.side))
    assert deletion.status_code == resource.delete_status, deletion.text
    if resource.delete_status == 200:
        deleted = resource.deleted or detail_is_gone
        assert [deleted(shared, api, path) for api in route] == [True, True]
    else:
        assert read_on_both() == current


def test_a_user_deleted_on_one_server_loses_its_tokens_on_both(
    shared: SharedDatabase, route: Route
) -> None:
    account = route.second.signup("deleted")
    shared.admin_call(route.first, "DELETE", f"/user/{account.id}/")

    for api in shared.apis.values():
        check = api.call("GET", "/token/", token=account.token)
        assert (check.status_code, check.json()) == (200, {"valid": 0}), api
        login = api.login(account.username, account.password)
        assert (login.status_code, login.json()) == (400, INVALID_CREDENTIALS), api
