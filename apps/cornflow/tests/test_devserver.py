"""`make serve`'s server, driven over a real socket by the unmodified cornflow-client."""

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
def devserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    var = tmp_path_factory.mktemp("var")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "devserver.py"), "--var-dir", str(var),
         "--cornflow-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "health/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"devserver did not start:\n{output}")
            time.sleep(0.2)
        credentials = json.loads((var / "dev-credentials.json").read_text())
        yield url, credentials
    finally:
        process.terminate()
        process.communicate(timeout=20)


@pytest.mark.slow
def test_cornflow_client_against_the_dev_server(devserver: tuple[str, dict[str, str]]) -> None:
    url, credentials = devserver
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
