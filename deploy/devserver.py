"""`make serve`: the servers on the embedded defaults (SQLite), ready to try.

Prepares a state folder (default `var/`), migrates, syncs permissions, creates an admin and a
service user (their passwords are generated once and kept in the state folder), prints where
everything is, and runs the servers until Ctrl-C.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _password() -> str:
    # Satisfies Cornflow's policy: upper, lower, digit and a special character.
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{core}Aa1!"


def _state(var: Path) -> dict[str, str]:
    var.mkdir(parents=True, exist_ok=True)
    path = var / "dev-credentials.json"
    if path.exists():
        state: dict[str, str] = json.loads(path.read_text())
        return state
    state = {
        "secret_key": secrets.token_urlsafe(48),
        "admin_password": _password(),
        "service_password": _password(),
    }
    path.write_text(json.dumps(state, indent=2))
    path.chmod(0o600)
    return state


def _cornflow(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "cornflow_fastapi", *args], env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--var-dir", default=str(ROOT / "var"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--cornflow-port", type=int, default=5000)
    options = parser.parse_args()

    var = Path(options.var_dir).resolve()
    state = _state(var)
    env = dict(os.environ)
    env.update(
        FLASK_ENV="development",
        DATABASE_URL=f"sqlite:///{var / 'cornflow.db'}",
        SECRET_KEY=state["secret_key"],
        SIGNUP_ACTIVATED="1",
        CORNFLOW_SERVICE_USER="service_user",
    )
    _cornflow("migrations", "upgrade", env=env)
    _cornflow("permissions", "init", env=env)
    _cornflow(
        "users", "create", "admin", "-u", "admin", "-e", "admin@cornflow.local",
        "-p", state["admin_password"], env=env,
    )  # fmt: skip
    _cornflow(
        "users", "create", "service", "-u", "service_user", "-e", "service_user@cornflow.local",
        "-p", state["service_password"], env=env,
    )  # fmt: skip

    base = f"http://{options.host}:{options.cornflow_port}"
    print(
        f"\nCornflow   {base}/  (API docs {base}/docs)\n"
        f"  admin         admin / {state['admin_password']}\n"
        f"  service user  service_user / {state['service_password']}\n"
        f"  database      {var / 'cornflow.db'}\n"
        "Ctrl-C stops.\n",
        flush=True,
    )
    server = subprocess.Popen(
        [
            sys.executable, "-m", "cornflow_fastapi", "serve",
            "--host", options.host, "--port", str(options.cornflow_port),
        ],
        env=env,
    )  # fmt: skip

    def stop(_signum: int, _frame: object) -> None:
        server.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return server.wait()


if __name__ == "__main__":
    sys.exit(main())
