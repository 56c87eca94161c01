"""`make serve`'s servers over real sockets: Cornflow driven by the unmodified cornflow-client,
Mandarin by plain HTTP."""

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from client_models import MPS_MODEL, market_split, production_plan
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


def wait_for_state(
    client: CornFlow, execution_id: str, wanted: set[int], *, timeout: float = 120
) -> dict[str, Any]:
    """Poll get_status as a client would, until the execution reaches one of wanted."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get_status(execution_id)
        if status["state"] in wanted:
            return status
        assert time.monotonic() < deadline, f"still {status} after {timeout} s"
        time.sleep(0.5)


@pytest.mark.slow
def test_the_whole_planning_workflow_with_the_local_runner(
    devserver: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    url, _, _credentials = devserver
    planner = CornFlow(url=url)
    planner.sign_up("workflow_planner", "workflow_planner@example.com", "Planner_1234")
    planner.login("workflow_planner", "Planner_1234")
    assert {"name": "solve_model_dag"} in planner.get_all_schemas()

    # An instance, solved by the local runner.
    instance = planner.create_instance(production_plan(), "production", "two machines")
    assert instance["executions"] == []
    assert instance["schema"] == "solve_model_dag"
    execution = planner.create_execution(
        instance["id"], {"solver": "PULP_CBC_CMD", "timeLimit": 60}, name="plan"
    )
    assert execution["state"] == -7, execution
    assert wait_for_state(planner, execution["id"], {1, -1})["state"] == 1
    solution = planner.get_solution(execution["id"])
    values = {var["name"]: var["varValue"] for var in solution["data"]["variables"]}
    assert values == {"x": 3, "y": 5}
    assert solution["log"]["status"] == "Optimal"
    log = planner.get_log(execution["id"])
    assert log["log_text"]
    assert log["log"]["solver"]
    results = planner.get_results(execution["id"])
    assert (results["state"], results["username"]) == (1, "workflow_planner")

    # Cases: one from data, one from the execution; copy, compare, patch.
    folder = planner.create_case("plans", "solve_model_dag")
    assert folder["is_dir"] is True
    from_data = planner.create_case(
        "by hand", "solve_model_dag", data=production_plan(), parent_id=folder["id"]
    )
    assert from_data["path"] == f"{folder['id']}/"
    from_execution = planner.raw.create_api(
        "case/instance/",
        json={"name": "solved", "schema": "solve_model_dag", "execution_id": execution["id"]},
    )
    assert from_execution.status_code == 201, from_execution.text
    solved_case = from_execution.json()
    copied = planner.raw.post_api_for_id("case", solved_case["id"], post_url="copy")
    assert copied.status_code == 201, copied.text
    assert copied.json()["name"] == "Copy_solved"
    compared = planner.raw.get_api_for_id("case", from_data["id"], post_url=str(solved_case["id"]))
    assert compared.status_code == 200, compared.text
    patches = compared.json()
    assert patches["solution_patch"], patches
    # cornflow-client's patch_one_case targets /case/<id>/, which has no PATCH (a client bug).
    patched = requests.patch(
        f"{url}case/{from_data['id']}/data/",
        json={"solution_patch": patches["solution_patch"]},
        headers={"Authorization": f"Bearer {planner.raw.token}"},
        timeout=10,
    )
    assert patched.status_code == 200, patched.text
    assert (
        planner.get_one_case_data(from_data["id"])["solution"]
        == planner.get_one_case_data(solved_case["id"])["solution"]
    )

    # An MPS file, parsed into a PuLP model and solved.
    mps = tmp_path / "tiny.mps"
    mps.write_text(MPS_MODEL)
    from_file = planner.create_instance_file(str(mps), "tiny", "from an MPS file")
    mps_run = planner.create_execution(from_file["id"], {"solver": "PULP_CBC_CMD"}, name="mps")
    assert wait_for_state(planner, mps_run["id"], {1, -1})["state"] == 1
    assert planner.get_solution(mps_run["id"])["data"]["parameters"]["name"] == "TINY"

    # A solve that would take minutes, stopped; then relaunched with a short time limit.
    hard = planner.create_instance(market_split(), "market split", "hard on purpose")
    long_run = planner.create_execution(
        hard["id"], {"solver": "PULP_CBC_CMD", "timeLimit": 600}, name="long"
    )
    wait_for_state(planner, long_run["id"], {0})
    planner.stop_execution(long_run["id"])
    assert wait_for_state(planner, long_run["id"], {-2}, timeout=30)["state"] == -2
    relaunched = planner.relaunch_execution(
        long_run["id"], {"solver": "PULP_CBC_CMD", "timeLimit": 2}
    )
    assert relaunched == {"message": "The execution was relaunched correctly"}
    assert wait_for_state(planner, long_run["id"], {1, -1})["state"] == 1

    # Data checks on the execution, the instance and a case.
    checked = planner.create_execution_data_check_kpis(execution["id"])
    assert checked["id"] == execution["id"]
    assert wait_for_state(planner, execution["id"], {1, -1})["state"] == 1
    check_run = planner.create_instance_data_check(instance["id"])
    assert check_run["name"] == "data_check_instance_production"
    assert wait_for_state(planner, check_run["id"], {1, -1})["state"] == 1
    case_check = planner.create_case_data_check_kpis(from_data["id"])
    assert case_check["name"] == "data_check_case_by hand"
    assert wait_for_state(planner, case_check["id"], {1, -1})["state"] == 1

    listed = planner.get_all_executions({"limit": 100})
    assert {row["id"] for row in listed} >= {execution["id"], mps_run["id"], long_run["id"]}


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
