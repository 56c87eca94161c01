"""Werkzeug routing on Starlette: int converters, HEAD, OPTIONS, 308 on a missing slash."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cornflow_fastapi.errors import METHOD_NOT_ALLOWED_BODY, NOT_FOUND_BODY


class CornflowRoute(APIRoute):
    """A route that matches like a Flask rule.

    `<int:x>` only matches digits (anything else is a 404 before authentication, as in Flask).
    """

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        int_params = [
            param.name for param in self.dependant.path_params if param.field_info.annotation is int
        ]
        pattern = self.path_regex.pattern
        for name in int_params:
            pattern = pattern.replace(f"(?P<{name}>[^/]+)", f"(?P<{name}>[0-9]+)")
        self.path_regex = re.compile(pattern)


def include_routers(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Include routers (no prefixes: paths are the Flask rules) and keep their routes at hand.

    The 308/405 answers need to test a path against every route; keeping our own list avoids
    depending on how the framework nests included routers.
    """
    routes: list[BaseRoute] = [route for router in routers for route in router.routes]
    # Added as they are: including a router would rebuild each route's path pattern and lose
    # CornflowRoute's digits-only `<int:x>` matching.
    app.router.routes.extend(routes)
    app.state.flask_routes = routes


def _matching_methods(request: Request, path: str) -> tuple[bool, set[str]]:
    """Whether any route fully matches path for this method, and the methods path allows."""
    scope = dict(request.scope)
    scope["path"] = path
    full = False
    methods: set[str] = set()
    for route in request.app.state.flask_routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            full = True
        if match in (Match.FULL, Match.PARTIAL):
            methods |= set(getattr(route, "methods", None) or ())
    return full, methods


_REPEATED_SLASHES = re.compile(r"//+")


def _redirect(request: Request, path: str) -> Response:
    host = request.headers.get("host") or "localhost"
    query = request.url.query
    target = f"{request.url.scheme}://{host}{request.scope.get('root_path', '')}{path}"
    if query:
        target += f"?{query}"
    escaped = html.escape(target)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: "
        f'<a href="{escaped}">{escaped}</a>. If not, click the link.\n'
    )
    return HTMLResponse(body, status_code=308, headers={"Location": target})


def _allowed(methods: set[str]) -> str:
    # Werkzeug answers HEAD wherever GET is routed, and OPTIONS everywhere.
    if "GET" in methods:
        methods = methods | {"HEAD"}
    return ", ".join(sorted(methods | {"OPTIONS"}))


def answer_unrouted(request: Request, exc: HTTPException) -> Response:
    """Bodies for requests no route handled: redirect, 404, 405 or OPTIONS."""
    path = request.scope["path"]
    if exc.status_code == 404:
        # Werkzeug merges repeated slashes and adds a missing trailing one, by redirecting.
        merged = _REPEATED_SLASHES.sub("/", path)
        candidates = [merged] if merged != path else []
        if not merged.endswith("/"):
            candidates.append(merged + "/")
        for candidate in candidates:
            full, _ = _matching_methods(request, candidate)
            if full:
                return _redirect(request, candidate)
        return JSONResponse(NOT_FOUND_BODY, status_code=404)
    if exc.status_code == 405:
        _, methods = _matching_methods(request, path)
        allow = _allowed(methods)
        if request.method == "OPTIONS":
            # Flask's automatic OPTIONS answer: empty, but typed as HTML.
            return Response(status_code=200, headers={"Allow": allow}, media_type="text/html")
        return JSONResponse(METHOD_NOT_ALLOWED_BODY, status_code=405, headers={"Allow": allow})
    return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)


class HeadAsGetMiddleware:
    """Answer HEAD like Werkzeug: run the GET route, send its headers, drop the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
