"""The route template a request matched, read from the ASGI scope once routing has run."""

from __future__ import annotations

from typing import Any

from starlette.routing import Mount
from starlette.types import Scope

UNMATCHED_ROUTE = "<unmatched>"


def _effective_path_format(scope: Scope, route: Any) -> str | None:
    # FastAPI 0.165 keeps the included router's own APIRoute in scope["route"], whose path lacks
    # the prefixes given to include_router(); the prefixed path lives on the effective route
    # context it stores beside it. Only trust that context when it describes this very route.
    fastapi_scope = scope.get("fastapi")
    if isinstance(fastapi_scope, dict):
        context = fastapi_scope.get("effective_route_context")
        if context is not None and getattr(context, "original_route", None) is route:
            path_format = getattr(context, "path_format", None)
            if isinstance(path_format, str):
                return path_format
    path_format = getattr(route, "path_format", None)
    return path_format if isinstance(path_format, str) else None


def _mount_prefix(scope: Scope) -> str:
    # A Mount appends the matched prefix to root_path and records the app's own root path in
    # app_root_path, so the difference is the prefix of every mounted level. A mount path with
    # parameters would show their values here; none of our apps mounts one.
    if "app_root_path" not in scope:
        return ""
    root_path: str = scope.get("root_path", "")
    app_root_path: str = scope.get("app_root_path", "")
    return root_path.removeprefix(app_root_path)


def route_template(scope: Scope) -> str | None:
    """The path template of the matched route (`/items/{item_id}`), or None if none matched."""
    route = scope.get("route")
    if route is None:
        return None
    if isinstance(route, Mount):
        # A mounted app that is not a router: root_path already ends with this mount's path.
        return _mount_prefix(scope) + "/{path}"
    path_format = _effective_path_format(scope, route)
    if path_format is None:
        return None
    return _mount_prefix(scope) + path_format
