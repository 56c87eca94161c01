"""Mandarin's errors, rendered as RFC 9457 problem details (`application/problem+json`).

Services raise the svckit hierarchy (re-exported here) or the subclasses below; one renderer
turns each into `{"type", "title", "status", "detail", "instance", ...extra}`. Request
validation failures are 422 with the field errors in an `errors` member, so `detail` stays a
string as RFC 9457 wants.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from svckit.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    install_error_handlers,
)
from svckit.http import current_request_id

logger = logging.getLogger("mandarin")

PROBLEM_JSON = "application/problem+json"

__all__ = [
    "PROBLEM_JSON",
    "AppError",
    "AuthenticationFailed",
    "BadRequest",
    "Conflict",
    "FieldError",
    "Forbidden",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionRequired",
    "ProblemDetail",
    "ServiceUnavailable",
    "TooManyRequests",
    "UnprocessableContent",
    "ValidationProblem",
    "install",
    "problem_responses",
    "render_status",
]


class ProblemDetail(BaseModel):
    """An RFC 9457 problem; extension members may follow the standard ones."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="URI identifying the problem type")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(description="HTTP status code")
    detail: str = Field(description="What went wrong with this request")
    instance: str | None = Field(default=None, description="The path of the failed request")
    request_id: str | None = Field(default=None, description="Also in the X-Request-ID header")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the error is: body, query, path, header")
    msg: str
    type: str


class ValidationProblem(ProblemDetail):
    errors: list[FieldError]


class AuthenticationFailed(NotAuthenticated):
    """401 with the WWW-Authenticate challenge RFC 6750 asks for."""

    default_message = "Authentication required"

    def __init__(self, message: str | None = None, *, invalid_token: bool = False) -> None:
        challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
        super().__init__(message, headers={"WWW-Authenticate": challenge})


class UnprocessableContent(AppError):
    status_code = 422
    default_message = "The request is well-formed but cannot be processed"


class PreconditionRequired(AppError):
    """428: a write that must be conditional (If-Match) came without its condition."""

    status_code = 428
    default_message = "This request must be conditional; send If-Match"


class ServiceUnavailable(AppError):
    status_code = 503
    default_message = "A service this request needs is unavailable"


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _title(status),
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    for name, value in (extra or {}).items():
        # Extensions never overwrite the standard members.
        body.setdefault(name, value)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def render_error(request: Request, exc: AppError) -> Response:
    return problem_response(
        exc.status_code, exc.message, instance=request.url.path, extra=exc.extra
    )


def render_status(status_code: int, message: str) -> Response:
    """Problems found before routing (body too large)."""
    return problem_response(status_code, message)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only loc/msg/type: `input` echoes what the client sent (passwords, megabytes) and `ctx`
    # can hold exception objects that do not serialize.
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """Render every error of app as problem+json and document them so in its OpenAPI."""
    install_error_handlers(app, render_error)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            422,
            "The request is invalid; see errors",
            instance=request.url.path,
            extra={"errors": _field_errors(exc)},
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
        return problem_response(
            exc.status_code, detail, instance=request.url.path, headers=exc.headers
        )

    async def stale_write(request: Request, exc: Exception) -> Response:
        # Two requests changed one versioned row (a card, a scene) at the same time; the loser
        # retries with fresh data.
        return problem_response(
            409,
            "The resource was changed by another request; fetch it again and retry",
            instance=request.url.path,
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        return problem_response(
            500, "The server failed to handle this request", instance=request.url.path
        )

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(StaleDataError, stale_write)
    app.add_exception_handler(Exception, unexpected)
    _document_problems(app)


_DESCRIPTIONS = {
    400: "The request is malformed",
    401: "Missing, invalid or expired credentials",
    403: "The credentials do not allow this request",
    404: "No such resource (or not yours)",
    409: "Conflicts with the current state of the resource",
    413: "The request body is too large",
    422: "The request failed validation",
    428: "The request must carry If-Match with the resource's ETag",
    429: "Too many attempts; retry after Retry-After seconds",
    503: "A service this request needs is unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each a problem+json body."""
    return {
        status: {
            "model": ValidationProblem if status == 422 else ProblemDetail,
            "description": _DESCRIPTIONS.get(status, _title(status)),
        }
        for status in statuses
    }


def _document_problems(app: FastAPI) -> None:
    """Serve error schemas under application/problem+json, the type they are sent with."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in "45" and "application/json" in content:
                        content[PROBLEM_JSON] = content.pop("application/json")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
