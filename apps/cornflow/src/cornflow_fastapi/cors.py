"""CORS headers as Flask Cornflow sends them: flask-cors 6 with `CORS(app)`'s defaults.

Those defaults differ from Starlette's CORSMiddleware in ways a client sees: every response,
even one to a request without `Origin`, carries `Access-Control-Allow-Origin: *`; a request
with `Origin` gets that origin echoed back with `Vary: Origin`; and a preflight is answered by
the route's own OPTIONS response (200, `Allow`) with the CORS headers added, never refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
WILDCARD = "*"


class FlaskCorsMiddleware:
    """Adds flask-cors's headers to every response that does not set its own.

    origins: CORS_ORIGINS; ["*"] (the Flask server's only behaviour) allows every origin.
    With explicit origins, a matching `Origin` is echoed and anything else gets no header.
    """

    def __init__(self, app: ASGIApp, origins: Sequence[str] = (WILDCARD,)) -> None:
        self.app = app
        self.wildcard = WILDCARD in origins
        self.origins = {origin.lower() for origin in origins if origin != WILDCARD}

    def cors_headers(self, scope: Scope) -> list[tuple[str, str]]:
        request = Headers(scope=scope)
        origin = request.get("origin")
        if origin:
            if not self.wildcard and origin.lower() not in self.origins:
                return []
            allowed = origin
        elif self.wildcard:
            allowed = WILDCARD
        else:
            return []
        headers = [("Access-Control-Allow-Origin", allowed)]
        if request.get("access-control-request-private-network") == "true":
            headers.append(("Access-Control-Allow-Private-Network", "false"))
        method = request.get("access-control-request-method", "").upper()
        if scope["method"] == "OPTIONS" and method in ALLOWED_METHODS:
            requested = request.get("access-control-request-headers")
            if requested:
                names = sorted(name.strip() for name in requested.split(","))
                allow_headers = ", ".join(names)
                if allow_headers:
                    headers.append(("Access-Control-Allow-Headers", allow_headers))
            headers.append(("Access-Control-Allow-Methods", ", ".join(ALLOWED_METHODS)))
        # flask-cors's rule: the answer varies with Origin unless it is "*" or the only
        # configured origin (its wildcard counts as a pattern, so it varies too).
        if allowed != WILDCARD and (self.wildcard or len(self.origins) > 1):
            headers.append(("Vary", "Origin"))
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.cors_headers(scope)
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "access-control-allow-origin" not in headers:
                    for name, value in extra:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_cors)
