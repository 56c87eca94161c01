"""POST /login/ with AUTH_TYPE=2, against a real OpenLDAP server (slapd) started for the session."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import anyio
import jwt
import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from cornflow_fastapi.main import create_app
from cornflow_fastapi.models import User, UserRole
from cornflow_support import TEST_SECRET, Account, make_settings
from svckit.db import Database

INVALID = (400, {"error": "Invalid credentials"})


async def login(client: AsyncClient, username: str, password: str) -> Any:
    return await client.post("/login/", json={"username": username, "password": password})


async def log_in(client: AsyncClient, person: Any) -> dict[str, Any]:
    response = await login(client, person.cn, person.password)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def user_named(database: Database, username: str) -> User | None:
    async with database.sessionmaker() as session:
        return await session.scalar(select(User).where(User.username == username))


async def count_users(database: Database) -> int:
    async with database.sessionmaker() as session:
        return len((await session.execute(select(User.id))).all())


async def roles_of(database: Database, user_id: int) -> set[int]:
    async with database.sessionmaker() as session:
        rows = await session.execute(select(UserRole.role_id).where(UserRole.user_id == user_id))
        return set(rows.scalars())


def auth(body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['token']}"}


async def test_login_answers_token_and_id_only(
    ldap_client: AsyncClient, people: dict[str, Any]
) -> None:
    body = await log_in(ldap_client, people["alice"])
    assert list(body) == ["token", "id"]
    claims = jwt.decode(body["token"], TEST_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["iss"]) == ("alice", "cornflow")
    assert claims["exp"] - claims["iat"] == 24 * 3600
    me = await ldap_client.get(f"/user/{body['id']}/", headers=auth(body))
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["email"]) == ("alice", "alice@example.org")


async def test_first_login_creates_the_user_from_the_directory(
    ldap_client: AsyncClient,
    database: Database,
    people: dict[str, Any],
) -> None:
    assert await user_named(database, "alice") is None
    users_before = await count_users(database)
    first = await log_in(ldap_client, people["alice"])
    user = await user_named(database, "alice")
    assert user is not None
    assert (user.id, user.email, user.password) == (first["id"], "alice@example.org", None)
    # alice is also in "staff", which maps to no Cornflow role.
    assert await roles_of(database, user.id) == {2}
    second = await log_in(ldap_client, people["alice"])
    assert second["id"] == first["id"]
    assert await count_users(database) == users_before + 1


async def test_roles_are_mirrored_from_the_groups_on_every_login(
    ldap_client: AsyncClient,
    directory: Any,
    database: Database,
    people: dict[str, Any],
) -> None:
    bob = people["bob"]
    user_id = (await log_in(ldap_client, people["bob"]))["id"]
    assert await roles_of(database, user_id) == {1, 2}

    await directory.set_groups(bob, {"administrators"})
    body = await log_in(ldap_client, people["bob"])
    assert await roles_of(database, user_id) == {3}
    assert (await ldap_client.get("/user/", headers=auth(body))).status_code == 200

    # A role given in the database does not survive the next login either.
    async with database.sessionmaker() as session, session.begin():
        session.add(UserRole(user_id=user_id, role_id=4))
    await directory.set_groups(bob, set())
    body = await log_in(ldap_client, people["bob"])
    assert await roles_of(database, user_id) == set()
    denied = await ldap_client.get(f"/user/{user_id}/", headers=auth(body))
    assert denied.status_code == 403

    await directory.set_groups(bob, {"viewers", "service"})
    await log_in(ldap_client, people["bob"])
    assert await roles_of(database, user_id) == {1, 4}


async def test_directory_administrators_are_cornflow_admins(
    ldap_client: AsyncClient,
    database: Database,
    people: dict[str, Any],
) -> None:
    body = await log_in(ldap_client, people["dora"])
    assert await roles_of(database, body["id"]) == {3}
    users = await ldap_client.get("/user/", headers=auth(body))
    assert users.status_code == 200


async def test_wrong_password_and_unknown_user_are_invalid_credentials(
    ldap_client: AsyncClient,
    database: Database,
    people: dict[str, Any],
) -> None:
    users_before = await count_users(database)
    for username, password in [
        ("alice", "Wrong_pw1"),
        ("alice", people["bob"].password),
        ("nobody", "Whatever_1"),
        ("nobody", people["alice"].password),
    ]:
        response = await login(ldap_client, username, password)
        assert (response.status_code, response.json()) == INVALID, (username, password)
    assert await count_users(database) == users_before


async def test_empty_password_is_refused(
    ldap_client: AsyncClient, database: Database, people: dict[str, Any]
) -> None:
    # For a simple bind an empty password means "unauthenticated", which slapd accepts.
    for person in ("alice", "dora", "service"):
        response = await login(ldap_client, people[person].cn, "")
        assert (response.status_code, response.json()) == INVALID, person
    assert await user_named(database, "alice") is None


@pytest.mark.parametrize(
    "username",
    [
        "*",
        "a*",
        "alice*",
        "*lice",
        "alice)(cn=*",
        ")(cn=*",
        "*)(|(cn=*",
        "alice)(|(objectClass=*)",
        "(cn=alice)",
        "\\2a",
        "alice\\29",
    ],
)
async def test_filter_injection_logs_nobody_in(
    ldap_client: AsyncClient,
    database: Database,
    username: str,
    people: dict[str, Any],
) -> None:
    users_before = await count_users(database)
    for password in (people["alice"].password, people["dora"].password, "x"):
        response = await login(ldap_client, username, password)
        assert (response.status_code, response.json()) == INVALID, password
    assert await count_users(database) == users_before


async def test_filter_characters_in_a_real_name_are_matched_literally(
    ldap_client: AsyncClient,
    database: Database,
    people: dict[str, Any],
) -> None:
    # "paren(user)" is both a search value and, inside its DN, a member value of a group.
    body = await log_in(ldap_client, people["paren"])
    user = await user_named(database, "paren(user)")
    assert user is not None
    assert user.id == body["id"]
    assert await roles_of(database, user.id) == {2}


async def test_the_directory_spelling_of_the_name_is_kept(
    ldap_client: AsyncClient,
    database: Database,
    people: dict[str, Any],
) -> None:
    first = await log_in(ldap_client, people["alice"])
    shouted = await login(ldap_client, "ALICE", people["alice"].password)
    assert shouted.status_code == 200
    assert shouted.json()["id"] == first["id"]
    claims = jwt.decode(shouted.json()["token"], TEST_SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert await user_named(database, "ALICE") is None


async def test_service_user_is_found_under_the_service_base(
    ldap_client: AsyncClient,
    database: Database,
    accounts: dict[str, Account],
    people: dict[str, Any],
) -> None:
    service, decoy = people["service"], people["decoy"]
    assert service.cn == decoy.cn
    refused = await login(ldap_client, decoy.cn, decoy.password)
    assert (refused.status_code, refused.json()) == INVALID
    body = await log_in(ldap_client, people["service"])
    # The row made by `service init` is reused; its roles now come from the directory.
    assert body["id"] == accounts["service"].id
    assert await roles_of(database, body["id"]) == {4}


async def test_an_entry_without_email_cannot_log_in(
    ldap_client: AsyncClient,
    database: Database,
    people: dict[str, Any],
) -> None:
    # The Flask server validates the directory's email like a typed one and refuses "".
    response = await login(ldap_client, "nomail", people["nomail"].password)
    assert (response.status_code, response.json()) == (400, {"error": "Invalid email address."})
    assert await user_named(database, "nomail") is None


async def test_signup_does_not_exist(directory: Any, build_client: Callable[..., Any]) -> None:
    async with build_client(**directory.cornflow_settings(), signup_activated=1) as client:
        response = await client.post(
            "/signup/",
            json={"username": "new", "email": "new@example.org", "password": "New_user1"},
        )
        assert response.status_code == 404


async def test_users_and_roles_are_edited_in_the_directory(
    ldap_client: AsyncClient,
    database: Database,
    people: dict[str, Any],
) -> None:
    alice = await log_in(ldap_client, people["alice"])
    edit = await ldap_client.put(
        f"/user/{alice['id']}/", json={"first_name": "Alicia"}, headers=auth(alice)
    )
    assert (edit.status_code, edit.json()) == (501, {"error": "To edit a user, go to LDAP server"})
    dora = await log_in(ldap_client, people["dora"])
    grant = await ldap_client.post(
        "/user/role/", json={"user_id": alice["id"], "role_id": 3}, headers=auth(dora)
    )
    expected = {"error": "The role assignments have to be created in the directory"}
    assert (grant.status_code, grant.json()) == (501, expected)
    assert await roles_of(database, alice["id"]) == {2}


async def test_a_name_two_entries_answer_to_logs_nobody_in(
    directory: Any, build_client: Callable[..., Any], people: dict[str, Any]
) -> None:
    twin, other_twin = people["twin"], people["other_twin"]
    async with build_client(**directory.cornflow_settings()) as client:
        assert (await login(client, twin.cn, twin.password)).status_code == 200
    # Searched from the top, the name is ambiguous: no password is tried against either entry.
    settings = directory.cornflow_settings(ldap_user_base="dc=example,dc=org")
    async with build_client(**settings) as client:
        for person in (twin, other_twin):
            response = await login(client, person.cn, person.password)
            assert (response.status_code, response.json()) == INVALID


async def login_answer(database: Database, settings: dict[str, Any], person: Any) -> Any:
    app = create_app(make_settings(**settings), database=database)
    # The route's exception is re-raised after the 500 is sent; only the answer matters here.
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await login(client, person.cn, person.password)


async def test_directory_failures_are_server_errors(
    directory: Any, database: Database, people: dict[str, Any]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nobody_listens = f"ldap://127.0.0.1:{probe.getsockname()[1]}"
    broken = {
        "unreachable": directory.cornflow_settings(host=nobody_listens),
        "wrong bind password": directory.cornflow_settings(ldap_bind_password="Not_it1"),
    }
    for name, settings in broken.items():
        response = await login_answer(database, settings, people["alice"])
        # Not "Invalid credentials": the caller did nothing wrong.
        assert response.status_code == 500, name
        assert response.json()["message"] == "500 Internal Server Error", name
    assert await user_named(database, "alice") is None


class HeldProxy:
    """TCP to slapd that forwards nothing until released, served from its own threads."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.released = threading.Event()
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.listener.getsockname()[1]}"

    def _spawn(self, target: Callable[..., None], *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread

    def _accept(self) -> None:
        with self.listener:
            while not self.stopped.is_set():
                try:
                    client, _ = self.listener.accept()
                except TimeoutError:
                    continue
                self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        with client:
            # Bounded: were the event loop blocked, nobody would release us.
            if not self.released.wait(timeout=5):
                return
            with socket.create_connection(("127.0.0.1", self.target_port)) as upstream:
                back = self._spawn(self._pump, upstream, client)
                self._pump(client, upstream)
                back.join()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def start(self) -> None:
        self._spawn(self._accept)

    def stop(self) -> None:
        self.released.set()
        self.stopped.set()
        for thread in list(self.threads):
            thread.join(timeout=5)


async def test_a_slow_directory_does_not_block_the_event_loop(
    directory: Any,
    build_client: Callable[..., Any],
    people: dict[str, Any],
) -> None:
    proxy = HeldProxy(directory.port)
    proxy.start()
    ticks = 0
    answers: list[Any] = []
    answered = anyio.Event()

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.sleep(0.01)

    async def alice_logs_in(client: AsyncClient) -> None:
        answers.append(await login(client, "alice", people["alice"].password))
        answered.set()

    try:
        async with (
            build_client(**directory.cornflow_settings(host=proxy.url)) as client,
            anyio.create_task_group() as tasks,
        ):
            tasks.start_soon(tick)
            tasks.start_soon(alice_logs_in, client)
            await anyio.sleep(0.3)
            # The directory has not answered, yet other work on the loop went on.
            assert answers == []
            assert ticks >= 5
            proxy.released.set()
            with anyio.fail_after(10):
                await answered.wait()
            tasks.cancel_scope.cancel()
    finally:
        proxy.stop()
    assert answers[0].status_code == 200
