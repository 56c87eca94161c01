"""The operator's path: traffic captured by nginx with the shipped log_format, replayed against
two servers; and a recorded log replayed against Flask Cornflow and ours."""

from __future__ import annotations

import gzip
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cutover.parity import results
from cutover.parity.cli import SCENARIOS_DIR
from cutover.parity.replay import read_log, replay
from cutover.parity.runner import ParityRunner
from cutover.parity.scenario import load_scenario
from cutover.reference import ROOT, free_port
from parity.local_servers import LocalServer

LOG_FORMAT = ROOT / "deploy" / "nginx" / "parity-log.conf"
NGINX = shutil.which("nginx") or next(
    (str(path) for path in (Path("/usr/sbin/nginx"),) if path.exists()), None
)


def nginx_config(directory: Path, port: int, upstream: str) -> Path:
    config = directory / "nginx.conf"
    config.write_text(
        f"""
daemon off;
master_process off;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{}}
http {{
    include {LOG_FORMAT};
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    server {{
        listen 127.0.0.1:{port};
        client_body_buffer_size 1m;
        access_log {directory}/parity.jsonl cornflow_parity;
        location / {{ proxy_pass {upstream}; }}
    }}
}}
"""
    )
    return config


@pytest.fixture
def nginx_in_front(tmp_path: Path) -> Iterator[tuple[str, Path, LocalServer]]:
    if NGINX is None:
        pytest.skip("nginx is not installed: the shipped log_format is checked where it is")
    port = free_port()
    with LocalServer("left") as upstream:
        config = nginx_config(tmp_path, port, upstream.url)
        process = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/health/", timeout=1)
                    break
                except httpx.HTTPError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail((tmp_path / "error.log").read_text())
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}", tmp_path / "parity.jsonl", upstream
        finally:
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=20)


@pytest.mark.slow
def test_nginx_log_lines_replay_the_same_bytes(
    nginx_in_front: tuple[str, Path, LocalServer],
) -> None:
    proxy, log, upstream = nginx_in_front
    zipped = gzip.compress(b'{"name": "caf\xc3\xa9"}', mtime=0)
    binary = bytes(range(256))
    with httpx.Client(base_url=proxy) as client:
        client.post("/login/", json={"username": "pl\u00e4nner", "password": 'a"b\\c\n'})
        client.post(
            "/echo/?q=1&r=%20",
            content=zipped,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        client.put("/echo/binary/", content=binary, headers={"Authorization": "Bearer x.y.z"})
        client.get("/user/999/", headers={"Origin": "https://ui.example.com"})
    sent = list(upstream.received)
    upstream.received.clear()
    # The health probes of the fixture are in the log too; compare the four requests above.
    recorded = [request for request in read_log(log) if request.path != "/health/"]

    assert [(r.method, r.path, r.body) for r in recorded] == [
        (method, path, body) for method, path, body in sent if path != "/health/"
    ]
    assert recorded[1].headers == {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "accept": "*/*",
    }
    assert recorded[2].headers["authorization"] == "Bearer x.y.z"
    assert recorded[3].headers["origin"] == "https://ui.example.com"
    assert [r.status for r in recorded] == [200, 200, 200, 404]

    with LocalServer("left") as left, LocalServer("left") as right:
        result = replay(recorded, left.url, right.url, deviations=[])
        assert [step.outcome for step in result.steps] == [results.EQUAL] * 4
        assert [body for _method, _path, body in left.received] == [r.body for r in recorded]


def recorded_line(method: str, path: str, status: int, body: str = "", **headers: str) -> str:
    record = {"method": method, "path": path, "headers": headers, "body": body, "status": status}
    return json.dumps(record)


@pytest.mark.slow
def test_a_recorded_log_replays_equal_on_flask_and_ours(
    parity_runner: ParityRunner, tmp_path: Path
) -> None:
    # Any scenario with the default users: its servers are the two to replay against.
    scenario = load_scenario(SCENARIOS_DIR / "health.yaml")
    login = json.dumps({"username": "admin", "password": "Admin_1234"})
    log = tmp_path / "traffic.jsonl"
    log.write_text(
        "\n".join(
            [
                recorded_line("GET", "/health/", 200),
                recorded_line(
                    "POST", "/login/", 200, login, **{"content-type": "application/json"}
                ),
                recorded_line("POST", "/login/", 400, "{", **{"content-type": "application/json"}),
                recorded_line("GET", "/user/", 400),
                recorded_line("GET", "/user/", 400, authorization="Bearer expired.token.here"),
                recorded_line("GET", "/user", 308),
                recorded_line("PATCH", "/user/", 405),
                recorded_line("GET", "/nope/", 404),
            ]
        )
        + "\n"
    )
    with parity_runner.sides(scenario) as sides:
        result = replay(
            read_log(log),
            sides["flask"].server.base_url,
            sides["ours"].server.base_url,
            deviations=parity_runner.deviations,
            secret=parity_runner.secret_key,
        )

    assert [step.outcome for step in result.steps] == [results.EQUAL] * 8, [
        step.diff for step in result.steps if step.outcome != results.EQUAL
    ]
    assert [step.left["status"] for step in result.steps if step.left] == [
        200, 200, 400, 400, 400, 308, 405, 404,
    ]  # fmt: skip
    assert all(not step.note for step in result.steps)
