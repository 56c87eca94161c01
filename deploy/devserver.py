"""`make serve`: both servers on the embedded defaults (SQLite), ready to try.

Prepares a state folder (default `var/`) and, side by side:

* Cornflow: migrates, syncs permissions, creates an admin and a service user;
* Mandarin: migrates its own database, builds the demo course (`mandarin seed-demo`, skipped when
  already built from the same data), creates an admin and a demo learner.

Passwords and secrets are generated once and kept in the state folder. It prints where everything
is, runs both servers until Ctrl-C (or SIGTERM), and stops both when either ends.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = "dev-credentials.json"
MANDARIN_ADMIN = "admin@example.com"
MANDARIN_LEARNER = "learner@example.com"


def _password() -> str:
    # Satisfies Cornflow's policy: upper, lower, digit and a special character.
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{core}Aa1!"


def _state(var: Path) -> dict[str, str]:
    """The generated secrets and passwords; entries missing from an older file are added."""
    var.mkdir(parents=True, exist_ok=True)
    path = var / STATE_FILE
    state: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted: dict[str, Callable[[], str]] = {
        "secret_key": lambda: secrets.token_urlsafe(48),
        "admin_password": _password,
        "service_password": _password,
        "mandarin_secret_key": lambda: secrets.token_urlsafe(48),
        "mandarin_admin_password": _password,
        "mandarin_learner_password": _password,
    }
    missing = {name: make() for name, make in wanted.items() if name not in state}
    if missing:
        state.update(missing)
        path.write_text(json.dumps(state, indent=2))
        path.chmod(0o600)
    return state


def _run(module: str, *args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", module, *args], env=env, check=True)


def _prepare_cornflow(state: dict[str, str], env: dict[str, str]) -> None:
    _run("cornflow_fastapi", "migrations", "upgrade", env=env)
    _run("cornflow_fastapi", "permissions", "init", env=env)
    _run(
        "cornflow_fastapi", "users", "create", "admin", "-u", "admin", "-e", "admin@cornflow.local",
        "-p", state["admin_password"], env=env,
    )  # fmt: skip
    _run(
        "cornflow_fastapi", "users", "create", "service", "-u", "service_user",
        "-e", "service_user@cornflow.local", "-p", state["service_password"], env=env,
    )  # fmt: skip


def _prepare_mandarin(state: dict[str, str], env: dict[str, str]) -> None:
    _run("mandarin", "db", "upgrade", env=env)
    _run("mandarin", "seed-demo", env=env)
    _run(
        "mandarin", "users", "create-admin", "--email", MANDARIN_ADMIN,
        "--password", state["mandarin_admin_password"], env=env,
    )  # fmt: skip
    _run(
        "mandarin", "users", "create", "--email", MANDARIN_LEARNER,
        "--password", state["mandarin_learner_password"], env=env,
    )  # fmt: skip


def _stop(servers: list[subprocess.Popen[bytes]]) -> None:
    # A second Ctrl-C (or one forwarded twice, as `uv run` may) must not cut the shutdown short
    # and leave a server running.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for server in servers:
        if server.poll() is None:
            server.terminate()
    for server in servers:
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--var-dir", default=str(ROOT / "var"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--cornflow-port", type=int, default=5000)
    parser.add_argument("--mandarin-port", type=int, default=8000)
    options = parser.parse_args()

    var = Path(options.var_dir).resolve()
    state = _state(var)
    cornflow_env = dict(os.environ)
    cornflow_env.update(
        FLASK_ENV="development",
        DATABASE_URL=f"sqlite:///{var / 'cornflow.db'}",
        SECRET_KEY=state["secret_key"],
        SIGNUP_ACTIVATED="1",
        CORNFLOW_SERVICE_USER="service_user",
    )
    mandarin_env = dict(os.environ)
    mandarin_env.update(
        ENVIRONMENT="development",
        DATABASE_URL=f"sqlite:///{var / 'mandarin.db'}",
        SECRET_KEY=state["mandarin_secret_key"],
    )
    # The two preparations touch different databases: run them side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        preparations = [
            pool.submit(_prepare_cornflow, state, cornflow_env),
            pool.submit(_prepare_mandarin, state, mandarin_env),
        ]
        for preparation in preparations:
            preparation.result()

    cornflow = f"http://{options.host}:{options.cornflow_port}"
    mandarin = f"http://{options.host}:{options.mandarin_port}"
    print(
        f"\nCornflow   {cornflow}/  (API docs {cornflow}/docs)\n"
        f"  admin         admin / {state['admin_password']}\n"
        f"  service user  service_user / {state['service_password']}\n"
        f"  database      {var / 'cornflow.db'}\n"
        f"\nMandarin   {mandarin}/  (API docs {mandarin}/docs)\n"
        f"  admin         {MANDARIN_ADMIN} / {state['mandarin_admin_password']}\n"
        f"  learner       {MANDARIN_LEARNER} / {state['mandarin_learner_password']}\n"
        f"  database      {var / 'mandarin.db'}\n"
        "Ctrl-C stops both.\n",
        flush=True,
    )
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "cornflow_fastapi", "serve",
             "--host", options.host, "--port", str(options.cornflow_port)],
            env=cornflow_env,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "mandarin", "serve",
             "--host", options.host, "--port", str(options.mandarin_port)],
            env=mandarin_env,
        ),
    ]  # fmt: skip

    def on_sigterm(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        # Either server ending (a port in use, a crash) ends the session: half of it is no use.
        while all(server.poll() is None for server in servers):
            time.sleep(0.2)
        ended = next(server for server in servers if server.poll() is not None)
        _stop(servers)
        return ended.returncode or 0
    except KeyboardInterrupt:
        _stop(servers)
        return 0


if __name__ == "__main__":
    sys.exit(main())
