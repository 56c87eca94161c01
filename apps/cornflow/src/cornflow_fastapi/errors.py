"""Cornflow's exception family and its historic `{"error": ...}` wire format."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from svckit.db import KeepChanges
from svckit.errors import AppError, install_error_handlers

logger = logging.getLogger("cornflow_fastapi")

DATA_DOES_NOT_EXIST_MSG = "The data entity does not exist on the database"


class InvalidUsage(AppError):
    status_code = 400
    default_message = "Unknown error"


class ObjectDoesNotExist(InvalidUsage):
    status_code = 404
    default_message = DATA_DOES_NOT_EXIST_MSG


class ObjectAlreadyExists(InvalidUsage):
    status_code = 400
    default_message = "The object does exist already"


class NoPermission(InvalidUsage):
    status_code = 403
    default_message = "You have no permission to access the required object"


class InvalidCredentials(InvalidUsage):
    status_code = 400
    default_message = "Invalid credentials"


class EndpointNotImplemented(InvalidUsage):
    status_code = 501
    default_message = "Endpoint not implemented"


class InvalidData(InvalidUsage):
    status_code = 400
    default_message = "The data sent is not valid"


class CommunicationError(InvalidUsage):
    status_code = 400
    default_message = "The communication failed"


class InvalidPatch(InvalidUsage):
    status_code = 400
    default_message = "The json patch sent is not valid"


class ConfigurationError(InvalidUsage):
    status_code = 501
    default_message = "No authentication method configured on the server"


class RawBodyError(AppError):
    """An error whose whole JSON body is given (webargs' and Werkzeug's own shapes)."""

    def __init__(
        self, status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ):
        super().__init__(str(body), status_code=status_code, headers=headers)
        self.body = body


NOT_FOUND_BODY = {
    "message": "404 Not Found",
    "error": "404 Not Found. The requested URL was not found on the server. If you entered the "
    "URL manually please check your spelling and try again.",
}
METHOD_NOT_ALLOWED_BODY = {"message": "The method is not allowed for the requested URL."}
TOO_LARGE_BODY = {
    "message": "413 Request Entity Too Large",
    "error": "413 Request Entity Too Large. The data value transmitted exceeds the capacity limit.",
}
INTERNAL_ERROR_BODY = {
    "message": "500 Internal Server Error",
    "error": "The server encountered an internal error and was unable to complete your request. "
    "Either the server is overloaded or there is an error in the application.",
}


def render_error(_request: Request, exc: AppError) -> Response:
    """Payload keys first, then `error`, as Flask's InvalidUsage.to_dict builds it."""
    if isinstance(exc, RawBodyError):
        return JSONResponse(exc.body, status_code=exc.status_code)
    body = dict(exc.extra)
    body["error"] = exc.message
    return JSONResponse(body, status_code=exc.status_code)


class RecordedFailure(KeepChanges):
    """The request failed, but what it changed stays: committed, then `error` is answered.

    The Flask server stores the state a failed run start leads to (and files it found lost)
    before it answers the error; a rollback would lose them.
    """

    def __init__(self, error: AppError) -> None:
        super().__init__(error.message)
        self.error = error


def render_status(status_code: int, message: str) -> Response:
    """Bodies for failures detected before routing (body limits, bad gzip)."""
    if status_code == 413:
        return JSONResponse(TOO_LARGE_BODY, status_code=413)
    return JSONResponse({"error": message}, status_code=status_code)


def install(app: FastAPI) -> None:
    install_error_handlers(app, render_error)

    async def invalid_request(_request: Request, exc: Exception) -> Response:
        # Our bodies and query strings are parsed by request_parsing; what reaches FastAPI's own
        # validation is path parameters, and a path that does not fit is a URL that matches no
        # Flask rule.
        assert isinstance(exc, RequestValidationError)
        if all(error["loc"][:1] == ("path",) for error in exc.errors()):
            return JSONResponse(NOT_FOUND_BODY, status_code=404)
        messages: dict[str, dict[str, list[str]]] = {}
        for error in exc.errors():
            location = {"body": "json"}.get(str(error["loc"][0]), str(error["loc"][0]))
            field = ".".join(str(part) for part in error["loc"][1:]) or "_schema"
            messages.setdefault(location, {}).setdefault(field, [str(error["msg"])])
        return JSONResponse({"error": str(messages)}, status_code=400)

    app.add_exception_handler(RequestValidationError, invalid_request)

    async def recorded_failure(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RecordedFailure)
        return render_error(request, exc.error)

    app.add_exception_handler(RecordedFailure, recorded_failure)

    async def unexpected(_request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(INTERNAL_ERROR_BODY, status_code=500)

    app.add_exception_handler(Exception, unexpected)
