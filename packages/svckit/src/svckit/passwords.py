"""Password hashing: Argon2id or bcrypt for new hashes, legacy formats verified and upgraded.

Verification accepts, whatever the configured scheme:

- Argon2 (``$argon2id$``, also ``$argon2i$``/``$argon2d$``);
- bcrypt ``$2b$``/``$2a$``/``$2y$``, checked on the first 72 bytes of the UTF-8 password, as the
  bcrypt releases that wrote them did;
- werkzeug ``scrypt:N:r:p$salt$hex`` and ``pbkdf2:<digest>:<iterations>$salt$hex`` (verify only).

A successful check of a hash that is not in the configured scheme, or that uses weaker parameters,
carries a replacement hash to store. Nothing here raises on odd input: unknown formats, empty
strings and NUL bytes give a defined result.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Literal, Protocol

import anyio
import anyio.to_thread
import argon2
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

Scheme = Literal["argon2", "bcrypt"]
HashKind = Literal["argon2", "bcrypt", "scrypt", "pbkdf2"]

BCRYPT_MAX_BYTES = 72

_BCRYPT_HASH = re.compile(r"^\$2[aby]\$(?P<rounds>\d{2})\$[./A-Za-z0-9]{53}$")

# Bounds on parameters read from a stored werkzeug hash, so a corrupt row cannot make one login
# allocate gigabytes or spin for minutes. Werkzeug 3.1 writes scrypt:32768:8:1 and
# pbkdf2:sha256:1000000; these leave ample headroom.
_SCRYPT_MAX_MEMORY = 256 * 1024 * 1024
_SCRYPT_MAX_PARALLELISM = 16
_PBKDF2_MAX_ITERATIONS = 10_000_000
_PBKDF2_DIGESTS = frozenset({"sha1", "sha224", "sha256", "sha384", "sha512"})


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of a password check; new_hash is set when the stored hash should be replaced."""

    ok: bool
    new_hash: str | None = None


def _password_bytes(password: str) -> bytes:
    # surrogatepass: a lone surrogate (valid in JSON, invalid in UTF-8) must not raise.
    return password.encode("utf-8", "surrogatepass")


class _Verifier(Protocol):
    kind: HashKind

    def identify(self, stored_hash: str) -> bool: ...

    def verify(self, password: bytes, stored_hash: str) -> bool: ...


class _Argon2:
    kind: HashKind = "argon2"

    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._hasher = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self._time_cost = time_cost
        self._memory_cost = memory_cost

    def identify(self, stored_hash: str) -> bool:
        return Argon2Hasher.identify(stored_hash)

    def hash(self, password: bytes) -> str:
        return self._hasher.hash(password)

    def verify(self, password: bytes, stored_hash: str) -> bool:
        return self._hasher.verify(password, stored_hash)

    def is_weaker(self, stored_hash: str) -> bool:
        """True when the stored hash is not Argon2id or costs less than configured."""
        try:
            params = argon2.extract_parameters(stored_hash)
        except (argon2.exceptions.InvalidHashError, ValueError):
            return True
        return (
            params.type is not argon2.Type.ID
            or params.version < argon2.low_level.ARGON2_VERSION
            or params.time_cost < self._time_cost
            or params.memory_cost < self._memory_cost
        )


class _Bcrypt:
    kind: HashKind = "bcrypt"

    def __init__(self, *, rounds: int) -> None:
        self._hasher = BcryptHasher(rounds=rounds, prefix="2b")
        self._rounds = rounds

    def identify(self, stored_hash: str) -> bool:
        # $2x$ (crypt_blowfish's buggy mode) is refused: it does not mean what $2b$ means.
        return _BCRYPT_HASH.match(stored_hash) is not None

    def hash(self, password: bytes) -> str:
        # The same truncation the Flask server's bcrypt applied, so either server can check it.
        return self._hasher.hash(password[:BCRYPT_MAX_BYTES])

    def verify(self, password: bytes, stored_hash: str) -> bool:
        if not self.accepts(password):
            return False
        # bcrypt 5 raises beyond 72 bytes; earlier releases silently hashed only the first 72,
        # so users with longer passwords have hashes of that prefix.
        return self._hasher.verify(password[:BCRYPT_MAX_BYTES], stored_hash)

    @staticmethod
    def accepts(password: bytes) -> bool:
        """False for passwords with NUL bytes, which bcrypt cannot tell apart from others."""
        # bcrypt keys on the password plus a NUL, repeated to 72 bytes: "ab" and "ab\0ab",
        # or "" and "\0", give the same hash.
        return b"\x00" not in password

    def is_weaker(self, stored_hash: str) -> bool:
        """True when the stored hash has fewer rounds than configured."""
        match = _BCRYPT_HASH.match(stored_hash)
        return match is None or int(match.group("rounds")) < self._rounds


class _Werkzeug:
    """werkzeug.security hashes, checked with hashlib; never written."""

    def __init__(self, kind: Literal["scrypt", "pbkdf2"]) -> None:
        self.kind: HashKind = kind

    def identify(self, stored_hash: str) -> bool:
        return stored_hash.startswith(f"{self.kind}:") and stored_hash.count("$") == 2

    def verify(self, password: bytes, stored_hash: str) -> bool:
        method, salt, expected = stored_hash.split("$")
        if not expected.isascii():
            return False
        name, *params = method.split(":")
        if name == "scrypt":
            digest = self._scrypt(password, salt.encode(), params)
        else:
            digest = self._pbkdf2(password, salt.encode(), params)
        if digest is None:
            return False
        # Werkzeug compares lowercase hex strings; doing the same keeps both servers in agreement.
        return hmac.compare_digest(digest.hex(), expected)

    @staticmethod
    def _scrypt(password: bytes, salt: bytes, params: list[str]) -> bytes | None:
        if len(params) != 3:
            return None
        n, r, p = (int(value) for value in params)
        if n < 2 or n & (n - 1) or r < 1 or not 1 <= p <= _SCRYPT_MAX_PARALLELISM:
            return None
        if 128 * n * r > _SCRYPT_MAX_MEMORY:
            return None
        # werkzeug's own allowance over scrypt's 128*N*r*p working set
        return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=132 * n * r * p)

    @staticmethod
    def _pbkdf2(password: bytes, salt: bytes, params: list[str]) -> bytes | None:
        if len(params) != 2 or params[0] not in _PBKDF2_DIGESTS:
            return None
        iterations = int(params[1])
        if not 1 <= iterations <= _PBKDF2_MAX_ITERATIONS:
            return None
        return hashlib.pbkdf2_hmac(params[0], password, salt, iterations)


class PasswordHasher:
    """Hashes new passwords with one scheme and verifies every format the servers have written.

    scheme="bcrypt" writes Flask-Bcrypt compatible ``$2b$<rounds>$`` hashes (passwords longer than
    72 bytes are truncated, as bcrypt always did; passwords with NUL bytes get Argon2id, since
    bcrypt would confuse them with shorter ones); scheme="argon2" writes Argon2id. An Argon2 hash
    is never replaced by a bcrypt one.
    """

    def __init__(
        self,
        scheme: Scheme = "argon2",
        *,
        bcrypt_rounds: int = 10,
        argon2_time_cost: int = argon2.DEFAULT_TIME_COST,
        argon2_memory_cost: int = argon2.DEFAULT_MEMORY_COST,
        argon2_parallelism: int = argon2.DEFAULT_PARALLELISM,
        max_threads: int | None = None,
    ) -> None:
        if scheme not in ("argon2", "bcrypt"):
            raise ValueError(f"unknown password scheme: {scheme!r}")
        if not 4 <= bcrypt_rounds <= 31:
            raise ValueError("bcrypt_rounds must be between 4 and 31")
        self.scheme: Scheme = scheme
        self._argon2 = _Argon2(
            time_cost=argon2_time_cost,
            memory_cost=argon2_memory_cost,
            parallelism=argon2_parallelism,
        )
        self._bcrypt = _Bcrypt(rounds=bcrypt_rounds)
        self._current: _Argon2 | _Bcrypt = self._argon2 if scheme == "argon2" else self._bcrypt
        self._verifiers: tuple[_Verifier, ...] = (
            self._argon2,
            self._bcrypt,
            _Werkzeug("scrypt"),
            _Werkzeug("pbkdf2"),
        )
        # Each Argon2 hash holds its memory cost for its duration: bound how many run at once.
        self._limiter = anyio.CapacityLimiter(max_threads or max(2, os.cpu_count() or 2))
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    def identify(self, stored_hash: str | None) -> HashKind | None:
        """The format of a stored hash, or None when it is not one this class can verify."""
        if not stored_hash:
            return None
        verifier = self._verifier_for(stored_hash)
        return verifier.kind if verifier is not None else None

    def hash_sync(self, password: str) -> str:
        """Hash a new password with the configured scheme (blocking: for CLI code)."""
        return self._new_hash(_password_bytes(password))

    def verify_sync(self, password: str, stored_hash: str | None) -> VerifyResult:
        """Check a password against a stored hash (blocking: for CLI code)."""
        try:
            secret = _password_bytes(password)
        except (AttributeError, TypeError):
            self._burn_dummy(b"")
            return VerifyResult(ok=False)
        verifier = self._verifier_for(stored_hash) if stored_hash else None
        if verifier is None or stored_hash is None:
            # No usable hash (unknown user, LDAP/OpenID user, garbage): spend the same work as
            # a real check so response time does not reveal which accounts exist.
            self._burn_dummy(secret)
            return VerifyResult(ok=False)
        try:
            ok = verifier.verify(secret, stored_hash)
        except Exception:
            # A malformed hash that passed identification; the caller only needs "no".
            ok = False
        if not ok:
            return VerifyResult(ok=False)
        if self._needs_update(verifier, stored_hash):
            return VerifyResult(ok=True, new_hash=self._new_hash(secret))
        return VerifyResult(ok=True)

    async def hash(self, password: str) -> str:
        """Hash a new password with the configured scheme in a worker thread."""
        return await anyio.to_thread.run_sync(self.hash_sync, password, limiter=self._limiter)

    async def verify(self, password: str, stored_hash: str | None) -> VerifyResult:
        """Check a password against a stored hash (None: user has none) in a worker thread."""
        return await anyio.to_thread.run_sync(
            self.verify_sync, password, stored_hash, limiter=self._limiter
        )

    def _new_hash(self, secret: bytes) -> str:
        if self._current is self._bcrypt and not self._bcrypt.accepts(secret):
            # bcrypt would collide this password with others; Argon2id verifies under any scheme.
            return self._argon2.hash(secret)
        return self._current.hash(secret)

    def _verifier_for(self, stored_hash: str) -> _Verifier | None:
        for verifier in self._verifiers:
            try:
                if verifier.identify(stored_hash):
                    return verifier
            except Exception:
                return None
        return None

    def _needs_update(self, verifier: _Verifier, stored_hash: str) -> bool:
        if verifier is self._current:
            return self._current.is_weaker(stored_hash)
        # Argon2 outranks bcrypt: keep it even when new hashes are written as bcrypt.
        return verifier is not self._argon2

    def _burn_dummy(self, password: bytes) -> None:
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._current.hash(secrets.token_bytes(16))
            dummy = self._dummy_hash
        try:
            # NULs removed so bcrypt's refusal of them does not skip the work.
            self._current.verify(password.replace(b"\x00", b""), dummy)
        except Exception:
            return
