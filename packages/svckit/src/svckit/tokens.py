"""JSON Web Tokens: our own HS256 tokens, and identity-provider tokens checked against a JWKS.

Every failure raises a TokenError subclass; its ``reason`` is a short stable label for metrics::

    TokenError
    ├── TokenExpired            expired
    ├── TokenInvalid            invalid (bad format, signature, algorithm or claim)
    │   ├── TokenIssuerMismatch     issuer
    │   ├── TokenAudienceMismatch   audience
    │   ├── TokenMissingClaim       missing_claim
    │   ├── TokenMissingKeyId       missing_kid
    │   └── TokenUnknownKeyId       unknown_kid
    └── JwksUnavailable         jwks_unavailable (the key set could not be fetched)
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx
import jwt
from jwt.algorithms import HMACAlgorithm


class TokenError(Exception):
    """A token was refused."""

    reason: ClassVar[str] = "error"


class TokenExpired(TokenError):
    """The token's exp is in the past."""

    reason = "expired"


class TokenInvalid(TokenError):
    """The token is malformed, wrongly signed, uses a refused algorithm or fails a claim check."""

    reason = "invalid"


class TokenIssuerMismatch(TokenInvalid):
    """The token's iss is not the expected issuer."""

    reason = "issuer"


class TokenAudienceMismatch(TokenInvalid):
    """The token's aud does not name the expected audience."""

    reason = "audience"


class TokenMissingClaim(TokenInvalid):
    """A required claim is absent."""

    reason = "missing_claim"

    def __init__(self, claim: str) -> None:
        self.claim = claim
        super().__init__(f"token is missing the {claim!r} claim")


class TokenMissingKeyId(TokenInvalid):
    """The token header has no kid, so no key of the key set can be chosen."""

    reason = "missing_kid"


class TokenUnknownKeyId(TokenInvalid):
    """The token's kid is not in the key set, even after refetching it."""

    reason = "unknown_kid"


class JwksUnavailable(TokenError):
    """The key set could not be fetched or parsed."""

    reason = "jwks_unavailable"


def _translate(error: jwt.PyJWTError) -> TokenError:
    if isinstance(error, jwt.ExpiredSignatureError):
        return TokenExpired(str(error))
    if isinstance(error, jwt.InvalidIssuerError):
        return TokenIssuerMismatch(str(error))
    if isinstance(error, jwt.InvalidAudienceError):
        return TokenAudienceMismatch(str(error))
    if isinstance(error, jwt.MissingRequiredClaimError):
        return TokenMissingClaim(error.claim)
    return TokenInvalid(str(error))


def _hashable(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


def _compact(token: str) -> str:
    # A compact JWS is base64url and dots: refusing anything else here keeps encoding errors
    # (PyJWT encodes str tokens as UTF-8) from escaping as something other than TokenInvalid.
    if not isinstance(token, str) or not token.isascii():
        raise TokenInvalid("token is not a compact JWS string")
    return token


class HS256Codec:
    """Signs and checks tokens with one shared secret; only HS256 is ever accepted."""

    algorithm: ClassVar[str] = "HS256"

    def __init__(self, secret: str | bytes, *, verified_cache_size: int = 4096) -> None:
        # PyJWT refuses PEM/SSH public keys as HMAC secrets; fail at startup, not per request.
        try:
            HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret)
        except jwt.InvalidKeyError as error:
            raise ValueError(f"unusable HS256 secret: {error}") from None
        self._secret = secret
        # A client sends the same token with every request; checking its signature and claims
        # again each time costs more than the request's own database work. A token string that
        # passed once passes again until it expires, so only exp is checked on a hit.
        self._verified_cache_size = verified_cache_size
        self._verified: dict[tuple[Any, ...], dict[str, Any]] = {}

    def encode(self, claims: Mapping[str, Any], *, headers: Mapping[str, Any] | None = None) -> str:
        """Sign claims (datetime values of exp/iat/nbf become NumericDates)."""
        return jwt.encode(
            dict(claims),
            self._secret,
            algorithm=self.algorithm,
            headers=dict(headers) if headers else None,
        )

    def decode(
        self,
        token: str,
        *,
        issuer: str | Sequence[str] | None = None,
        audience: str | Sequence[str] | None = None,
        require: Sequence[str] = (),
        leeway: float = 0,
    ) -> dict[str, Any]:
        """Verify signature, exp/nbf/iat when present, issuer/audience when given, and require."""
        key = (token, _hashable(issuer), _hashable(audience), tuple(require), leeway)
        cached = self._verified.get(key)
        if cached is not None:
            if "exp" in cached and cached["exp"] <= time.time() - leeway:
                del self._verified[key]
                raise TokenExpired("Signature has expired")
            return dict(cached)
        try:
            claims: dict[str, Any] = jwt.decode(
                _compact(token),
                self._secret,
                algorithms=[self.algorithm],
                issuer=issuer,
                audience=audience,
                leeway=leeway,
                options={"require": list(require)},
            )
        except jwt.PyJWTError as error:
            raise _translate(error) from None
        if self._verified_cache_size > 0:
            if len(self._verified) >= self._verified_cache_size:
                # Dropping everything keeps this lock-free and bounded; hits refill it.
                self._verified.clear()
            self._verified[key] = dict(claims)
        return claims


class JwksVerifier:
    """Verifies identity-provider tokens against the provider's published key set (JWKS).

    Keys are cached for cache_seconds. A token naming an unknown kid triggers a refetch (keys
    rotate), but fetches are at least min_refetch_interval apart, failed ones included, so
    tokens with random kids cannot make us hammer the provider. A fetch never blocks the event
    loop and concurrent callers share one fetch.
    """

    def __init__(
        self,
        jwks_url: str,
        *,
        audience: str | Sequence[str],
        issuer: str | Sequence[str],
        algorithms: Sequence[str] = ("RS256",),
        require: Sequence[str] = ("exp",),
        leeway: float = 0,
        cache_seconds: float = 3600,
        min_refetch_interval: float = 30,
        timeout: float = 5.0,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not algorithms:
            raise ValueError("algorithms must name at least one algorithm")
        for name in algorithms:
            # An HMAC algorithm would make the public key usable as a shared secret.
            if name.upper().startswith("HS") or name.lower() == "none":
                raise ValueError(f"{name} is not an asymmetric signature algorithm")
        self.jwks_url = jwks_url
        self.audience = audience
        self.issuer = issuer
        self.algorithms = tuple(algorithms)
        self.require = tuple(require)
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self.min_refetch_interval = min_refetch_interval
        self.timeout = timeout
        self._client = http_client
        self._owns_client = http_client is None
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._expires_at = -math.inf
        self._next_fetch_at = -math.inf
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature, aud, iss, exp and required claims check out."""
        try:
            header = jwt.get_unverified_header(_compact(token))
        except jwt.PyJWTError as error:
            raise TokenInvalid(str(error)) from None
        if header.get("alg") not in self.algorithms:
            # Refused before any key lookup: neither "none" nor HMAC reach the network.
            raise TokenInvalid(f"algorithm {header.get('alg')!r} is not allowed")
        kid = header.get("kid")
        if not kid:
            raise TokenMissingKeyId("token header has no key identifier (kid)")
        key = await self._signing_key(kid)
        try:
            return jwt.decode(
                token,
                key,
                algorithms=list(self.algorithms),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(self.require)},
            )
        except jwt.PyJWTError as error:
            raise _translate(error) from None

    async def aclose(self) -> None:
        """Close the HTTP client if this verifier created it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> JwksVerifier:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _signing_key(self, kid: str) -> jwt.PyJWK:
        if self._clock() < self._expires_at and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            now = self._clock()
            fresh = now < self._expires_at
            if fresh and kid in self._keys:
                # Another caller fetched while this one waited.
                return self._keys[kid]
            if now >= self._next_fetch_at:
                self._next_fetch_at = now + self.min_refetch_interval
                await self._fetch()
            elif not fresh:
                raise JwksUnavailable("key set expired and the last fetch failed recently")
        try:
            return self._keys[kid]
        except KeyError:
            raise TokenUnknownKeyId(f"no key with kid {kid!r} in the key set") from None

    async def _fetch(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await self._client.get(self.jwks_url, timeout=self.timeout)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise JwksUnavailable(f"cannot fetch {self.jwks_url}: {error}") from None
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise JwksUnavailable(f"{self.jwks_url} did not return a JWK set")
        self._keys = _parse_keys(entries)
        self._expires_at = self._clock() + self.cache_seconds


def _parse_keys(entries: list[Any]) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        # Encryption keys and shared secrets never verify a signature here.
        if entry.get("use", "sig") != "sig" or entry.get("kty") == "oct":
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry)
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            # One key we cannot use (unknown kty/crv, bad numbers) must not hide the others.
            continue
    return keys
