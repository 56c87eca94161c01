"""Field types shared by request schemas: text a database can store, IANA time zones."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate (legal in JSON) has no UTF-8 form:
    # either would fail at INSERT time as a 500 instead of a 422 here.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


StoredText = Annotated[str, AfterValidator(_storable)]


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _known_timezone(value: str) -> str:
    if value not in _known_timezones():
        raise ValueError("must be an IANA time zone name such as Europe/Madrid or UTC")
    return value


TimezoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_timezone)]


WebUrl = Annotated[StoredText, StringConstraints(max_length=500, pattern=r"^https?://\S+$")]
