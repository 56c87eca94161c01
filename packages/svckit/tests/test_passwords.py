from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import argon2
import bcrypt
import pytest
from flask_bcrypt import check_password_hash as flask_check_password_hash
from flask_bcrypt import generate_password_hash as flask_generate_password_hash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash as werkzeug_generate_password_hash

from svckit.passwords import PasswordHasher, VerifyResult

# Light Argon2 parameters keep the suite fast; one test checks the production defaults.
FAST_ARGON2: dict[str, Any] = {
    "argon2_time_cost": 1,
    "argon2_memory_cost": 8192,
    "argon2_parallelism": 1,
}
ARGON2ID = re.compile(r"^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$")
LONG_ASCII = "correct horse battery staple " * 3  # 87 bytes
LONG_UTF8 = "contraseña-ñandú-" * 5  # 85 characters, more bytes


@pytest.fixture
def argon2_hasher() -> PasswordHasher:
    return PasswordHasher("argon2", **FAST_ARGON2)


@pytest.fixture
def bcrypt_hasher() -> PasswordHasher:
    return PasswordHasher("bcrypt", bcrypt_rounds=4, **FAST_ARGON2)


def legacy_bcrypt(password: str, rounds: int = 4, prefix: bytes = b"2b") -> str:
    """A hash as bcrypt < 5 wrote it: only the first 72 bytes of the password count."""
    secret = password.encode()[:72]
    return bcrypt.hashpw(secret, bcrypt.gensalt(rounds, prefix)).decode()


def test_default_scheme_writes_argon2id_with_library_defaults() -> None:
    hasher = PasswordHasher()
    stored = hasher.hash_sync("hunter22")

    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher.verify_sync("hunter22", stored) == VerifyResult(ok=True)
    assert hasher.verify_sync("hunter23", stored) == VerifyResult(ok=False)


def test_bcrypt_scheme_writes_hashes_flask_bcrypt_accepts() -> None:
    hasher = PasswordHasher("bcrypt")
    stored = hasher.hash_sync("Pa55word!")

    assert re.fullmatch(r"\$2b\$10\$[./A-Za-z0-9]{53}", stored)
    assert flask_check_password_hash(stored, "Pa55word!")
    assert not flask_check_password_hash(stored, "Pa55word?")


def test_flask_bcrypt_hash_verifies_and_stays_under_bcrypt_scheme(
    bcrypt_hasher: PasswordHasher,
) -> None:
    stored = flask_generate_password_hash("Pa55word!", 10).decode()
    assert stored.startswith("$2b$10$")

    result = PasswordHasher("bcrypt", bcrypt_rounds=10).verify_sync("Pa55word!", stored)

    assert result == VerifyResult(ok=True, new_hash=None)
    assert not bcrypt_hasher.verify_sync("pa55word!", stored).ok


def test_flask_bcrypt_hash_is_upgraded_to_argon2id(argon2_hasher: PasswordHasher) -> None:
    stored = flask_generate_password_hash("Pa55word!", 10).decode()

    result = argon2_hasher.verify_sync("Pa55word!", stored)

    assert result.ok
    assert result.new_hash is not None
    assert ARGON2ID.match(result.new_hash)
    assert argon2_hasher.verify_sync("Pa55word!", result.new_hash) == VerifyResult(ok=True)


@pytest.mark.parametrize("prefix", [b"2a", b"2b"])
def test_bcrypt_prefixes_written_by_libraries_verify(
    argon2_hasher: PasswordHasher, prefix: bytes
) -> None:
    stored = legacy_bcrypt("s3cret", prefix=prefix)

    assert argon2_hasher.verify_sync("s3cret", stored).ok
    assert not argon2_hasher.verify_sync("s3cret ", stored).ok


def test_php_style_2y_bcrypt_verifies(argon2_hasher: PasswordHasher) -> None:
    stored = "$2y$" + legacy_bcrypt("s3cret").removeprefix("$2b$")

    assert argon2_hasher.verify_sync("s3cret", stored).ok
    assert not argon2_hasher.verify_sync("s3cre7", stored).ok


def test_crypt_blowfish_2x_variant_is_refused(argon2_hasher: PasswordHasher) -> None:
    stored = "$2x$" + legacy_bcrypt("s3cret").removeprefix("$2b$")

    assert argon2_hasher.identify(stored) is None
    assert argon2_hasher.verify_sync("s3cret", stored) == VerifyResult(ok=False)


@pytest.mark.parametrize("password", [LONG_ASCII, LONG_UTF8])
def test_long_password_on_old_truncating_bcrypt_logs_in_and_is_rehashed(
    argon2_hasher: PasswordHasher, password: str
) -> None:
    assert len(password.encode()) > 72
    stored = legacy_bcrypt(password, rounds=10)

    result = argon2_hasher.verify_sync(password, stored)

    assert result.ok
    assert result.new_hash is not None
    assert ARGON2ID.match(result.new_hash)
    # The new hash covers the whole password, not only the 72 bytes bcrypt saw.
    assert argon2_hasher.verify_sync(password, result.new_hash).ok
    prefix = password.encode()[:72].decode(errors="ignore")
    assert not argon2_hasher.verify_sync(prefix, result.new_hash).ok


def test_long_password_on_legacy_bcrypt_stays_bcrypt_under_bcrypt_scheme(
    bcrypt_hasher: PasswordHasher,
) -> None:
    stored = legacy_bcrypt(LONG_ASCII, rounds=4)

    assert bcrypt_hasher.verify_sync(LONG_ASCII, stored) == VerifyResult(ok=True)
    assert not bcrypt_hasher.verify_sync("X" + LONG_ASCII[1:], stored).ok


def test_bcrypt_scheme_hashes_long_passwords_like_old_bcrypt(
    bcrypt_hasher: PasswordHasher,
) -> None:
    stored = bcrypt_hasher.hash_sync(LONG_ASCII)

    assert stored.startswith("$2b$04$")
    assert bcrypt.checkpw(LONG_ASCII.encode()[:72], stored.encode())
    assert bcrypt_hasher.verify_sync(LONG_ASCII, stored).ok


@pytest.mark.parametrize(
    "method",
    [
        "scrypt",  # werkzeug >= 2.3 default: scrypt:32768:8:1
        "pbkdf2:sha256",  # werkzeug 3.1: 1,000,000 iterations
        "pbkdf2:sha256:260000",  # werkzeug 2.0 era
        "pbkdf2:sha1:2000",
        "pbkdf2:sha512:2000",
    ],
)
def test_werkzeug_hashes_verify_and_are_upgraded(
    argon2_hasher: PasswordHasher, method: str
) -> None:
    password = "Pässwörd-ünïcode"
    stored = werkzeug_generate_password_hash(password, method=method)

    result = argon2_hasher.verify_sync(password, stored)

    assert result.ok
    assert result.new_hash is not None
    assert ARGON2ID.match(result.new_hash)
    assert argon2_hasher.verify_sync(password, result.new_hash).ok
    assert argon2_hasher.verify_sync("Passwörd-ünïcode", stored) == VerifyResult(ok=False)


def test_werkzeug_hash_is_upgraded_to_bcrypt_under_bcrypt_scheme(
    bcrypt_hasher: PasswordHasher,
) -> None:
    stored = werkzeug_generate_password_hash("letmein", method="pbkdf2:sha256:1000")

    result = bcrypt_hasher.verify_sync("letmein", stored)

    assert result.ok
    assert result.new_hash is not None
    assert result.new_hash.startswith("$2b$04$")
    assert bcrypt_hasher.verify_sync("letmein", result.new_hash) == VerifyResult(ok=True)


def test_argon2_hash_is_not_downgraded_under_bcrypt_scheme(
    argon2_hasher: PasswordHasher, bcrypt_hasher: PasswordHasher
) -> None:
    stored = argon2_hasher.hash_sync("letmein")

    assert bcrypt_hasher.verify_sync("letmein", stored) == VerifyResult(ok=True, new_hash=None)
    assert not bcrypt_hasher.verify_sync("letmeout", stored).ok


def test_weaker_argon2_parameters_are_upgraded_and_stronger_kept() -> None:
    hasher = PasswordHasher(argon2_time_cost=2, argon2_memory_cost=16384, argon2_parallelism=1)
    weaker = PasswordHasher(**FAST_ARGON2).hash_sync("pw")
    stronger = PasswordHasher(
        argon2_time_cost=3, argon2_memory_cost=32768, argon2_parallelism=1
    ).hash_sync("pw")

    upgraded = hasher.verify_sync("pw", weaker)
    assert upgraded.ok
    assert upgraded.new_hash is not None
    assert "m=16384,t=2,p=1" in upgraded.new_hash
    assert hasher.verify_sync("pw", stronger) == VerifyResult(ok=True, new_hash=None)


def test_argon2i_hash_is_upgraded_to_argon2id(argon2_hasher: PasswordHasher) -> None:
    stored = argon2.PasswordHasher(
        time_cost=1, memory_cost=8192, parallelism=1, type=argon2.Type.I
    ).hash("pw")
    assert stored.startswith("$argon2i$")

    result = argon2_hasher.verify_sync("pw", stored)

    assert result.ok
    assert result.new_hash is not None
    assert ARGON2ID.match(result.new_hash)


def test_fewer_bcrypt_rounds_are_upgraded_and_more_kept() -> None:
    hasher = PasswordHasher("bcrypt", bcrypt_rounds=5)

    upgraded = hasher.verify_sync("pw", legacy_bcrypt("pw", rounds=4))
    kept = hasher.verify_sync("pw", legacy_bcrypt("pw", rounds=6))

    assert upgraded.ok
    assert upgraded.new_hash is not None
    assert upgraded.new_hash.startswith("$2b$05$")
    assert kept == VerifyResult(ok=True, new_hash=None)


def test_wrong_password_never_carries_a_new_hash(argon2_hasher: PasswordHasher) -> None:
    for stored in (
        legacy_bcrypt("pw"),
        werkzeug_generate_password_hash("pw", method="pbkdf2:sha256:1000"),
        argon2_hasher.hash_sync("pw"),
    ):
        assert argon2_hasher.verify_sync("wrong", stored) == VerifyResult(ok=False)


@pytest.mark.parametrize("scheme", ["argon2", "bcrypt"])
@pytest.mark.parametrize("password", ["", "a\x00b", "\x00", "\ud800lone surrogate"])
def test_odd_passwords_hash_and_verify_exactly(scheme: str, password: str) -> None:
    hasher = PasswordHasher(scheme, bcrypt_rounds=4, **FAST_ARGON2)  # type: ignore[arg-type]

    stored = hasher.hash_sync(password)

    assert hasher.verify_sync(password, stored).ok
    for other in ("a", "a\x00c", "x", "\x00\x00"):
        if other != password:
            assert not hasher.verify_sync(other, stored).ok


def test_bcrypt_nul_byte_collisions_are_refused(argon2_hasher: PasswordHasher) -> None:
    stored = legacy_bcrypt("ab")
    # bcrypt itself cannot tell these apart; the hasher must.
    assert bcrypt.checkpw(b"ab\x00ab", stored.encode())

    assert argon2_hasher.verify_sync("ab", stored).ok
    assert argon2_hasher.verify_sync("ab\x00ab", stored) == VerifyResult(ok=False)


def test_bcrypt_scheme_gives_passwords_with_nul_bytes_argon2id(
    bcrypt_hasher: PasswordHasher,
) -> None:
    stored = bcrypt_hasher.hash_sync("ab\x00ab")

    assert ARGON2ID.match(stored)
    assert bcrypt_hasher.verify_sync("ab\x00ab", stored) == VerifyResult(ok=True)
    assert not bcrypt_hasher.verify_sync("ab", stored).ok


GARBAGE_HASHES = [
    "",
    " ",
    "garbage",
    "$",
    "$$$",
    "\x00",
    "$argon2id$",
    "$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$",
    "$argon2id$v=19$m=8192,t=1,p=1$!!!$!!!",
    "$2b$10$" + "a" * 52,
    "$2b$99$" + "a" * 53,
    "$2b$04$" + "\u00e9" * 53,
    "scrypt:32768:8:1$salt$zz",
    "scrypt:32768:8:1$salt$\u00e9\u00e9",
    "scrypt:x:y:z$salt$00",
    "scrypt:32768:8$salt$00",
    "scrypt:3:8:1$salt$00",
    "scrypt:1099511627776:8:1$salt$00",
    "scrypt:16384:8:1000$salt$00",
    "pbkdf2:sha256$salt$00",
    "pbkdf2:md5:1000$salt$00",
    "pbkdf2:sha256:0$salt$00",
    "pbkdf2:sha256:99999999999$salt$00",
    "pbkdf2:sha256:1000$\ud800$00",
    "sha256$salt$00",  # werkzeug < 3.0 plain hashes: not supported
    "plaintext-password",
]


@pytest.mark.parametrize("stored", GARBAGE_HASHES)
def test_garbage_hashes_are_refused_without_raising(
    bcrypt_hasher: PasswordHasher, stored: str
) -> None:
    assert bcrypt_hasher.verify_sync("password", stored) == VerifyResult(ok=False)


_fuzz_hasher = PasswordHasher("bcrypt", bcrypt_rounds=4, **FAST_ARGON2)


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    password=st.text(max_size=100),
    stored=st.one_of(
        st.text(max_size=120),
        st.tuples(
            st.sampled_from(
                ["$argon2id$v=19$m=8192,t=1,p=1$", "$2b$04$", "scrypt:16:1:1$", "pbkdf2:sha256:1$"]
            ),
            st.text(max_size=80),
        ).map("".join),
    ),
)
def test_verify_never_raises(password: str, stored: str) -> None:
    assert _fuzz_hasher.verify_sync(password, stored) == VerifyResult(ok=False)


@pytest.fixture
def primitive_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """Records (scheme, hash, thread id) for each bcrypt/Argon2 computation, still performing it."""
    calls: list[tuple[str, str, int]] = []
    real_checkpw = bcrypt.checkpw
    real_hashpw = bcrypt.hashpw
    real_verify = argon2.PasswordHasher.verify
    real_hash = argon2.PasswordHasher.hash

    def checkpw(password: bytes, hashed: bytes) -> bool:
        calls.append(("bcrypt-verify", hashed.decode(), threading.get_ident()))
        return real_checkpw(password, hashed)

    def hashpw(password: bytes, salt: bytes) -> bytes:
        calls.append(("bcrypt-hash", salt.decode(), threading.get_ident()))
        return real_hashpw(password, salt)

    def verify(self: argon2.PasswordHasher, hash: str, password: str | bytes) -> bool:
        calls.append(("argon2-verify", hash, threading.get_ident()))
        return real_verify(self, hash, password)

    def hash_(self: argon2.PasswordHasher, password: str | bytes, **kwargs: Any) -> str:
        calls.append(("argon2-hash", "", threading.get_ident()))
        return real_hash(self, password, **kwargs)

    monkeypatch.setattr(bcrypt, "checkpw", checkpw)
    monkeypatch.setattr(bcrypt, "hashpw", hashpw)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", verify)
    monkeypatch.setattr(argon2.PasswordHasher, "hash", hash_)
    return calls


@pytest.mark.parametrize("stored", [None, "", "garbage", "$2x$04$" + "a" * 53])
@pytest.mark.parametrize(
    ("make_hasher", "kind", "dummy_pattern"),
    [
        (lambda: PasswordHasher("argon2", **FAST_ARGON2), "argon2-verify", ARGON2ID),
        (
            lambda: PasswordHasher("bcrypt", bcrypt_rounds=5),
            "bcrypt-verify",
            re.compile(r"^\$2b\$05\$"),
        ),
    ],
)
async def test_missing_or_unusable_hash_still_runs_a_full_check(
    primitive_calls: list[tuple[str, str, int]],
    make_hasher: Callable[[], PasswordHasher],
    kind: str,
    dummy_pattern: re.Pattern[str],
    stored: str | None,
) -> None:
    hasher = make_hasher()

    result = await hasher.verify("any password", stored)

    assert result == VerifyResult(ok=False)
    checks = [call for call in primitive_calls if call[0] == kind]
    assert len(checks) == 1
    assert dummy_pattern.match(checks[0][1])


async def test_async_hash_and_verify_run_off_the_event_loop_thread(
    primitive_calls: list[tuple[str, str, int]], argon2_hasher: PasswordHasher
) -> None:
    loop_thread = threading.get_ident()
    legacy = legacy_bcrypt("pw")
    primitive_calls.clear()

    stored = await argon2_hasher.hash("pw")
    upgraded = await argon2_hasher.verify("pw", legacy)
    missing = await argon2_hasher.verify("pw", None)
    async_calls = list(primitive_calls)

    assert argon2_hasher.verify_sync("pw", stored).ok
    assert upgraded.ok
    assert upgraded.new_hash is not None
    assert not missing.ok
    assert {name for name, _, _ in async_calls} >= {"argon2-hash", "argon2-verify", "bcrypt-verify"}
    assert all(thread != loop_thread for _, _, thread in async_calls)


def test_identify_names_each_supported_format(argon2_hasher: PasswordHasher) -> None:
    assert argon2_hasher.identify(argon2_hasher.hash_sync("pw")) == "argon2"
    assert argon2_hasher.identify(legacy_bcrypt("pw")) == "bcrypt"
    assert argon2_hasher.identify(werkzeug_generate_password_hash("pw")) == "scrypt"
    pbkdf2 = werkzeug_generate_password_hash("pw", method="pbkdf2:sha256:1000")
    assert argon2_hasher.identify(pbkdf2) == "pbkdf2"
    assert argon2_hasher.identify(None) is None
    assert argon2_hasher.identify("") is None
    assert argon2_hasher.identify("md5$abc") is None


def test_configuration_errors_are_reported_at_construction() -> None:
    with pytest.raises(ValueError, match="scheme"):
        PasswordHasher("md5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rounds"):
        PasswordHasher("bcrypt", bcrypt_rounds=3)
