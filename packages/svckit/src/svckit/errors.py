"""One error hierarchy for both apps, rendered by a renderer each app supplies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response


class AppError(Exception):
    """A failure the client caused or must know about: a status, a message and extra fields."""

    status_code: int = 400
    default_message: str = "Unknown error"

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if status_code is not None:
            self.status_code = status_code
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)


class BadRequest(AppError):
    status_code = 400
    default_message = "Bad request"


class NotAuthenticated(AppError):
    status_code = 401
    default_message = "Not authenticated"


class Forbidden(AppError):
    status_code = 403
    default_message = "Forbidden"


class NotFound(AppError):
    status_code = 404
    default_message = "Not found"


class Conflict(AppError):
    status_code = 409
    default_message = "Conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    default_message = "Request body too large"


class TooManyRequests(AppError):
    status_code = 429
    default_message = "Too many requests"


class NotImplementedOnServer(AppError):
    status_code = 501
    default_message = "Not implemented"


ErrorRenderer = Callable[[Request, AppError], Response]


def install_error_handlers(app: FastAPI, renderer: ErrorRenderer) -> None:
    """Render every AppError raised by a route or dependency with the app's renderer."""

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        response = renderer(request, exc)
        for name, value in exc.headers.items():
            response.headers[name] = value
        return response

    app.add_exception_handler(AppError, handle)
