"""The old Flask app's `session` cookie, read exactly as Flask's SecureCookieSessionInterface.

Flask 3.1 signs the cookie with itsdangerous: URLSafeTimedSerializer, salt "cookie-session", an
HMAC-derived key and SHA-1, over (optionally zlib-compressed) JSON. Keys are tried newest first
(SECRET_KEY, then SECRET_KEY_FALLBACKS), and every cookie, permanent or not, must be younger than
PERMANENT_SESSION_LIFETIME. The cookie is only ever read: we never issue one. Flask-Login's
365-day `remember_token` cookie is deliberately not honoured.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from prometheus_client import CollectorRegistry, Counter

from mandarin.config import LegacySettings

FLASK_SESSION_SALT = "cookie-session"


class LegacyCookieRefused(Exception):
    """The cookie was not signed by the old app, is too old, or names no user."""

    reason: ClassVar[str] = "bad_signature"


class LegacyCookieExpired(LegacyCookieRefused):
    reason = "expired_cookie"


class LegacyCookieWithoutUser(LegacyCookieRefused):
    reason = "no_user_in_cookie"


class LegacySessionReader:
    def __init__(self, settings: LegacySettings) -> None:
        if not settings.secret_key:
            raise ValueError("LEGACY_SECRET_KEY is required to read legacy session cookies")
        # itsdangerous signs with the last key and verifies with all of them, newest first.
        keys = [*settings.secret_key_fallbacks, settings.secret_key]
        self._serializer = URLSafeTimedSerializer(
            keys,
            salt=FLASK_SESSION_SALT,
            # Plain JSON: Flask's tagged values (tuples, bytes, datetimes) only wrap other keys;
            # the user id is a plain number or string.
            serializer=json,
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
        )
        self.max_age = settings.session_lifetime_seconds
        self.cookie_name = settings.session_cookie_name

    def user_id(self, cookie: str) -> int:
        """The old app's user id in the cookie (`user_id`, or Flask-Login's `_user_id`)."""
        try:
            data: Any = self._serializer.loads(cookie, max_age=self.max_age)
        except SignatureExpired:
            raise LegacyCookieExpired("the session cookie has expired") from None
        except (BadSignature, ValueError, UnicodeError):
            # A payload that decompresses or decodes to garbage was never signed by the old app.
            raise LegacyCookieRefused("the session cookie is not valid") from None
        if not isinstance(data, dict):
            raise LegacyCookieWithoutUser("the session cookie holds no user")
        value = data.get("user_id", data.get("_user_id"))
        if isinstance(value, bool):
            raise LegacyCookieWithoutUser("the session cookie holds no user")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        raise LegacyCookieWithoutUser("the session cookie holds no user")


def legacy_cookie_counter(registry: CollectorRegistry) -> Counter:
    """Requests that presented the legacy cookie, by result: how far the move has come."""
    return Counter(
        "auth_legacy_cookie",
        "Requests authenticated (or refused) by the legacy Flask session cookie, by result.",
        ["result"],
        namespace="mandarin",
        registry=registry,
    )
