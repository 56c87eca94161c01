"""Security headers on every HTTP response, unless the app set them itself."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeadersMiddleware:
    """Add the default security headers plus `headers`; a None value drops a default."""

    def __init__(self, app: ASGIApp, *, headers: Mapping[str, str | None] | None = None) -> None:
        self.app = app
        merged: dict[str, str | None] = {
            name.lower(): v for name, v in DEFAULT_SECURITY_HEADERS.items()
        }
        merged.update({name.lower(): value for name, value in (headers or {}).items()})
        self.headers = [(name, value) for name, value in merged.items() if value is not None]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    # The app knows better for its own responses (a page that may be framed).
                    if name not in response_headers:
                        response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
