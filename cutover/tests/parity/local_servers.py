"""Two small local HTTP servers that answer like a tiny Cornflow, for the replay tests."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cutover.parity import tokens


class Recorder(BaseHTTPRequestHandler):
    """Answers like a tiny Cornflow; `variant` "right" words one error differently."""

    variant = "left"
    received: list[tuple[str, str, bytes]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.received.append((self.command, self.path, body))
        if self.path == "/health/":
            self._answer(200, {"cornflow_status": "healthy", "cornflow_version": "1.3.9"})
        elif self.path == "/login/":
            token = tokens.mint("s", tokens.cornflow_claims("planner", lifetime=86400))
            self._answer(200, {"change_password": False, "token": token, "id": 3})
        elif self.path.startswith("/echo/"):
            self._answer(
                200,
                {
                    "sha256": hashlib.sha256(body).hexdigest(),
                    "content_type": self.headers.get("Content-Type"),
                    "authorization": self.headers.get("Authorization"),
                    "encoding": self.headers.get("Content-Encoding"),
                },
            )
        elif self.path == "/user/999/":
            message = "The data entity does not exist on the database"
            if self.variant == "right":
                message = "The data entity does not exist"
            self._answer(404, {"error": message})
        elif self.path == "/user":
            port = self.server.server_address[1]
            self._answer(308, {}, {"Location": f"http://127.0.0.1:{port}/user/"})
        else:
            self._answer(404, {"error": "404 Not Found"})

    do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815


class LocalServer:
    def __init__(self, variant: str) -> None:
        handler = type(f"{variant}Handler", (Recorder,), {"variant": variant, "received": []})
        self.handler = handler
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def received(self) -> list[tuple[str, str, bytes]]:
        return self.handler.received

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
