"""Request bodies and query strings read the way Cornflow's webargs/marshmallow read them.

Clients match on the exact error text (`{'json': {'password': ['Missing data for required
field.']}}`), so field types are pydantic types whose validators raise marshmallow's messages,
and the error dict is rendered with Python's own `str()` of a dict, as the Flask server does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.errors import InvalidUsage, RawBodyError

MODEL = TypeVar("MODEL", bound=BaseModel)

_FIELD_ERROR = "marshmallow"
NULL = "Field may not be null."
REQUIRED = "Missing data for required field."
UNKNOWN = "Unknown field."
INVALID_INPUT = "Invalid input type."


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError(_FIELD_ERROR, "{message}", {"message": message})


def _not_null(value: Any) -> Any:
    if value is None:
        raise _fail(NULL)
    return value


def _string(value: Any) -> str:
    _not_null(value)
    if not isinstance(value, str):
        raise _fail("Not a valid string.")
    if "\x00" in value:
        # PostgreSQL cannot store NUL in text; refuse it here instead of failing on write.
        raise _fail("Not a valid string.")
    return value


def integer(value: Any) -> int:
    """marshmallow's Int: an int or a numeric string, never a bool or null."""
    _not_null(value)
    if value is True or value is False:
        raise _fail("Not a valid integer.")
    try:
        return int(value)
    except OverflowError as error:
        raise _fail("Number too large.") from error
    except (TypeError, ValueError) as error:
        raise _fail("Not a valid integer.") from error


_TRUTHY = {"t", "true", "on", "y", "yes", "1", 1}
_FALSY = {"f", "false", "off", "n", "no", "0", 0}


def _boolean(value: Any) -> bool:
    _not_null(value)
    probe = value.lower() if isinstance(value, str) else value
    try:
        if probe in _TRUTHY:
            return True
        if probe in _FALSY:
            return False
    except TypeError as error:
        raise _fail("Not a valid boolean.") from error
    raise _fail("Not a valid boolean.")


_EMAIL_USER = re.compile(
    r"(^[-!#$%&'*+/=?^`{}|~\w]+(\.[-!#$%&'*+/=?^`{}|~\w]+)*\Z"
    r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
    re.IGNORECASE,
)
_EMAIL_DOMAIN = re.compile(
    r"(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+(?:[A-Z]{2,6}|[A-Z0-9-]{2,})\Z"
    r"|^\[(25[0-5]|2[0-4]\d|[0-1]?\d?\d)(\.(25[0-5]|2[0-4]\d|[0-1]?\d?\d)){3}\]\Z",
    re.IGNORECASE,
)


def _email(value: Any) -> str:
    text = _string(value)
    invalid = _fail("Not a valid email address.")
    if "@" not in text:
        raise invalid
    user, domain = text.rsplit("@", 1)
    if not _EMAIL_USER.match(user):
        raise invalid
    if domain == "localhost" or _EMAIL_DOMAIN.match(domain):
        return text
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise invalid from None
    if _EMAIL_DOMAIN.match(ascii_domain):
        return text
    raise invalid


def _raw(value: Any) -> Any:
    return _not_null(value)


def _nullable(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def accept_null(value: Any) -> Any:
        return None if value is None else check(value)

    return accept_null


Str = Annotated[str, BeforeValidator(_string)]
Int = Annotated[int, BeforeValidator(integer)]
Bool = Annotated[bool, BeforeValidator(_boolean)]
Email = Annotated[str, BeforeValidator(_email)]
Raw = Annotated[Any, BeforeValidator(_raw)]

# Optional fields: may be left out (defaulting to None) but an explicit null is refused,
# which is marshmallow's default for a field that is not `allow_none`.
OptStr = Annotated[str | None, BeforeValidator(_string)]
OptInt = Annotated[int | None, BeforeValidator(integer)]
OptBool = Annotated[bool | None, BeforeValidator(_boolean)]
OptEmail = Annotated[str | None, BeforeValidator(_email)]

NullableStr = Annotated[str | None, BeforeValidator(_nullable(_string))]
NullableInt = Annotated[int | None, BeforeValidator(_nullable(integer))]
NullableRaw = Annotated[Any, BeforeValidator(_nullable(lambda value: value))]


class RequestSchema(BaseModel):
    """Base of request bodies: unknown fields are an error, as with marshmallow's RAISE."""

    model_config = ConfigDict(extra="forbid")


class QuerySchema(BaseModel):
    """Base of query strings: unknown parameters are ignored (webargs EXCLUDE)."""

    model_config = ConfigDict(extra="ignore")


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == _FIELD_ERROR:
        return str(error["ctx"]["message"])
    if kind == "missing":
        return REQUIRED
    if kind == "extra_forbidden":
        return UNKNOWN
    return str(error["msg"])


def marshmallow_messages(error: ValidationError) -> dict[Any, Any]:
    """The nested {field: [message]} dict marshmallow would produce, first error per field."""
    messages: dict[Any, Any] = {}
    for item in error.errors():
        loc = list(item["loc"])
        if not loc:
            messages.setdefault("_schema", []).append(INVALID_INPUT)
            continue
        node = messages
        for key in loc[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node.setdefault(loc[-1], [_message(item)])
    return messages


def validate(model: type[MODEL], data: Any, *, location: str) -> MODEL:
    """Validate data for a request location, raising Cornflow's stringified-dict 400."""
    if not isinstance(data, dict):
        raise InvalidUsage(str({location: {"_schema": [INVALID_INPUT]}}))
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidUsage(str({location: marshmallow_messages(error)})) from None


def is_json_content_type(content_type: str | None) -> bool:
    """Whether a Content-Type declares JSON (`application/json` or `application/*+json`)."""
    if not content_type:
        return False
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


INVALID_JSON_BODY = {"messages": {"json": ["Invalid JSON body."]}}


async def load_json(request: Request) -> Any:
    """The JSON body, {} when absent or not declared as JSON (webargs' `missing`)."""
    if not is_json_content_type(request.headers.get("content-type")):
        return {}
    body = await request.body()
    if not body:
        return {}
    try:
        # Decoded as UTF-8 first, as webargs does: json.loads(bytes) would also accept a BOM
        # and UTF-16, which the Flask server refuses.
        return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise RawBodyError(400, INVALID_JSON_BODY) from None
    except RecursionError:
        # Nested deeper than the JSON parser goes: as unreadable as malformed JSON.
        raise RawBodyError(400, INVALID_JSON_BODY) from None


# Werkzeug's answers when `request.json` cannot read the body.
NOT_JSON_BODY = {
    "message": "Did not attempt to load JSON data because the request Content-Type was not "
    "'application/json'."
}
UNREADABLE_BODY = "The browser (or proxy) sent a request that this server could not understand."


async def flask_request_json(request: Request, settings: CornflowSettings) -> Any:
    """The body as Flask's `request.json` reads it, before (and stricter than) validation.

    A body not declared as JSON is a 415. Malformed JSON is a 400 with the parser's message
    when the Flask app runs in debug (FLASK_ENV=development), Werkzeug's generic one otherwise.
    Unlike webargs, any encoding json.loads detects (a BOM, UTF-16) is read.
    """
    if not is_json_content_type(request.headers.get("content-type")):
        raise RawBodyError(415, NOT_JSON_BODY)
    body = await request.body()
    try:
        # Large bodies parse for a while: off the event loop.
        return await anyio.to_thread.run_sync(json.loads, body)
    except RecursionError:
        raise RawBodyError(400, {"message": UNREADABLE_BODY}) from None
    except ValueError as error:
        message = (
            f"Failed to decode JSON object: {error}"
            if settings.flask_env == "development"
            else UNREADABLE_BODY
        )
        raise RawBodyError(400, {"message": message}) from None


def run_requested(request: Request) -> bool:
    """`?run=0` creates or relaunches without starting; any other value (or none) starts."""
    values = request.query_params.getlist("run")
    return not values or values[0] != "0"


def json_body(model: type[MODEL]) -> Any:
    """Dependency: the request's JSON body validated against model."""

    async def parse(request: Request) -> MODEL:
        return validate(model, await load_json(request), location="json")

    return Depends(parse)


def query_args(model: type[MODEL]) -> Any:
    """Dependency: the query string validated against model (first value of a repeated key)."""

    async def parse(request: Request) -> MODEL:
        params = request.query_params
        first = {key: params.getlist(key)[0] for key in params}
        return validate(model, first, location="query")

    return Depends(parse)


def body_openapi(model: type[BaseModel]) -> dict[str, Any]:
    """openapi_extra documenting a JSON body read by json_body()."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
