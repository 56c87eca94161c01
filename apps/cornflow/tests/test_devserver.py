"""`make serve`'s servers over real sockets: Cornflow driven by the unmodified cornflow-client,
Mandarin by plain HTTP."""

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cornflow_client import CornFlow, CornFlowApiError

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def devserver(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str, dict[str, str]]]:
    var = tmp_path_factory.mktemp("var")
    port = free_port()
    mandarin_port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "devserver.py"), "--var-dir", str(var),
         "--cornflow-port", str(port), "--mandarin-port", str(mandarin_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    mandarin_url = f"http://127.0.0.1:{mandarin_port}/"
    try:
        # Both servers start after both are prepared (the demo course is built the first time).
        deadline = time.monotonic() + 120
        for probe in (url + "health/", mandarin_url + "readyz"):
            while True:
                try:
                    if requests.get(probe, timeout=5).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    # A first request can be slow while a server warms up on a busy machine.
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"devserver did not start:\n{output}")
                time.sleep(0.2)
        credentials = json.loads((var / "dev-credentials.json").read_text())
        yield url, mandarin_url, credentials
    finally:
        process.terminate()
        process.communicate(timeout=20)


@pytest.mark.slow
def test_cornflow_client_against_the_dev_server(
    devserver: tuple[str, str, dict[str, str]],
) -> None:
    url, _, credentials = devserver
    health = CornFlow(url=url).is_alive()
    assert health["cornflow_status"] == "healthy"
    assert health["cornflow_version"] == "1.3.9"

    admin = CornFlow(url=url)
    login = admin.login("admin", credentials["admin_password"])
    assert set(login) == {"change_password", "token", "id"}

    newcomer = CornFlow(url=url)
    signed = newcomer.sign_up("client_user", "client_user@example.com", "Client_1234")
    assert set(signed) == {"token", "id"}
    newcomer.login("client_user", "Client_1234")

    users = admin.get_all_users()
    assert {"admin", "service_user", "client_user"} <= {user["username"] for user in users}
    assert list(users[0]) == [
        "id", "username", "first_name", "last_name", "email", "created_at", "pwd_last_change"
    ]  # fmt: skip

    roles = admin.raw.get_api("roles").json()
    assert {"name": "planner", "id": 2} in roles
    assignments = newcomer.raw.get_api("user/role").json()
    assert assignments == [
        {"user_id": signed["id"], "role_id": 2, "id": assignments[0]["id"],
         "user": "client_user", "role": "planner"}
    ]  # fmt: skip

    with pytest.raises(CornFlowApiError, match="403"):
        newcomer.get_all_users()
    with pytest.raises(CornFlowApiError, match="Invalid credentials"):
        CornFlow(url=url).login("client_user", "wrong")


@pytest.mark.slow
def test_mandarin_on_the_dev_server(devserver: tuple[str, str, dict[str, str]]) -> None:
    _, url, credentials = devserver
    registered = requests.post(
        url + "api/auth/register",
        json={"email": "newcomer@example.com", "password": "correct horse battery"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    learner = requests.post(
        url + "api/auth/login",
        json={
            "email": "learner@example.com",
            "password": credentials["mandarin_learner_password"],
        },
        timeout=10,
    )
    assert learner.status_code == 200, learner.text

    for token in (registered.json()["access_token"], learner.json()["access_token"]):
        courses = requests.get(
            url + "api/courses", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert courses.status_code == 200, courses.text
        assert [course["slug"] for course in courses.json()["items"]] == ["hsk-3-0"]

    admin = requests.post(
        url + "api/auth/login",
        json={"email": "admin@example.com", "password": credentials["mandarin_admin_password"]},
        timeout=10,
    )
    me = requests.get(
        url + "api/auth/me",
        headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
        timeout=10,
    )
    assert me.json()["is_admin"] is True
    attribution = requests.get(url + "api/attribution", timeout=10).json()
    assert "CC BY-SA 4.0" in {source["license"] for source in attribution[0]["sources"]}
    assert requests.get(url + "docs", timeout=10).status_code == 200
