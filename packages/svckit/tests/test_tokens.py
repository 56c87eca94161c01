from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from svckit.tokens import (
    HS256Codec,
    JwksUnavailable,
    JwksVerifier,
    TokenAudienceMismatch,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenIssuerMismatch,
    TokenMissingClaim,
    TokenMissingKeyId,
    TokenUnknownKeyId,
)

SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
ISSUER = "https://idp.example.test/"
AUDIENCE = "cornflow-client-id"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A token signed by hand, for algorithms PyJWT refuses to produce (none, HS256 with a PEM)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if key is None:
        return f"{signing_input}."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def in_hours(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


# --- HS256 -----------------------------------------------------------------------------------


@pytest.fixture
def codec() -> HS256Codec:
    return HS256Codec(SECRET)


def test_cornflow_token_round_trips(codec: HS256Codec) -> None:
    now = datetime.now(UTC)
    token = codec.encode({"sub": "planner", "iss": "cornflow", "iat": now, "exp": in_hours(24)})

    claims = codec.decode(token, issuer="cornflow")

    assert claims["sub"] == "planner"
    assert claims["iat"] == int(now.timestamp())
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_token_without_exp_is_accepted_unless_required(codec: HS256Codec) -> None:
    token = codec.encode({"sub": "bi-user", "iss": "cornflow", "iat": datetime.now(UTC)})

    assert codec.decode(token, issuer="cornflow")["sub"] == "bi-user"
    with pytest.raises(TokenMissingClaim) as caught:
        codec.decode(token, issuer="cornflow", require=("exp",))
    assert caught.value.claim == "exp"


def test_missing_required_claim_is_named(codec: HS256Codec) -> None:
    token = codec.encode({"exp": in_hours(1), "iat": datetime.now(UTC)})

    with pytest.raises(TokenMissingClaim) as caught:
        codec.decode(token, require=("exp", "iat", "sub"))

    assert caught.value.claim == "sub"
    assert caught.value.reason == "missing_claim"


def test_missing_issuer_is_refused_when_one_is_expected(codec: HS256Codec) -> None:
    token = codec.encode({"sub": "planner"})

    with pytest.raises(TokenMissingClaim) as caught:
        codec.decode(token, issuer="cornflow")

    assert caught.value.claim == "iss"


def test_wrong_issuer_is_refused(codec: HS256Codec) -> None:
    token = codec.encode({"sub": "planner", "iss": "not-cornflow"})

    with pytest.raises(TokenIssuerMismatch) as caught:
        codec.decode(token, issuer="cornflow")

    assert caught.value.reason == "issuer"


def test_expired_token_is_refused_and_leeway_applies(codec: HS256Codec) -> None:
    token = codec.encode({"sub": "planner", "exp": datetime.now(UTC) - timedelta(seconds=30)})

    with pytest.raises(TokenExpired) as caught:
        codec.decode(token)

    assert caught.value.reason == "expired"
    assert codec.decode(token, leeway=120)["sub"] == "planner"


def test_a_verified_token_expires_on_time_when_checked_again(
    codec: HS256Codec, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = datetime.now(UTC)
    token = codec.encode({"sub": "planner", "exp": issued + timedelta(seconds=60)})
    assert codec.decode(token)["sub"] == "planner"
    assert codec.decode(token)["sub"] == "planner"

    later = (issued + timedelta(seconds=61)).timestamp()
    monkeypatch.setattr("svckit.tokens.time.time", lambda: later)
    with pytest.raises(TokenExpired):
        codec.decode(token)
    assert codec.decode(token, leeway=5)["sub"] == "planner"


def test_a_verified_token_is_checked_again_under_other_expectations(codec: HS256Codec) -> None:
    token = codec.encode({"sub": "planner", "iss": "cornflow"})
    assert codec.decode(token, issuer="cornflow")["iss"] == "cornflow"

    with pytest.raises(TokenIssuerMismatch):
        codec.decode(token, issuer="elsewhere")
    with pytest.raises(TokenMissingClaim):
        codec.decode(token, issuer="cornflow", require=("exp",))


def test_claims_handed_out_from_the_cache_are_copies(codec: HS256Codec) -> None:
    token = codec.encode({"sub": "planner"})
    codec.decode(token)["sub"] = "admin"
    first_hit = codec.decode(token)
    first_hit["sub"] = "admin"
    assert codec.decode(token)["sub"] == "planner"


def test_the_verified_cache_stays_bounded() -> None:
    codec = HS256Codec(SECRET, verified_cache_size=3)
    tokens = [codec.encode({"sub": f"user{index}"}) for index in range(10)]
    for token in tokens:
        codec.decode(token)
        assert len(codec._verified) <= 3
    assert [codec.decode(token)["sub"] for token in tokens] == [f"user{i}" for i in range(10)]


def test_token_signed_with_another_secret_is_refused(codec: HS256Codec) -> None:
    token = HS256Codec("another-secret-0123456789-abcdefghijklmn").encode({"sub": "planner"})

    with pytest.raises(TokenInvalid) as caught:
        codec.decode(token)

    assert type(caught.value) is TokenInvalid


def test_alg_none_is_refused(codec: HS256Codec) -> None:
    token = forge({"alg": "none", "typ": "JWT"}, {"sub": "admin", "iss": "cornflow"}, None)

    with pytest.raises(TokenInvalid):
        codec.decode(token, issuer="cornflow")


def test_asymmetric_token_is_refused_by_the_hmac_codec(codec: HS256Codec) -> None:
    private_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode({"sub": "admin"}, private_key, algorithm="ES256")

    with pytest.raises(TokenInvalid):
        codec.decode(token)


def test_tampered_payload_is_refused(codec: HS256Codec) -> None:
    header, _, signature = codec.encode({"sub": "planner"}).split(".")
    forged_payload = b64url(json.dumps({"sub": "admin"}).encode())

    with pytest.raises(TokenInvalid):
        codec.decode(f"{header}.{forged_payload}.{signature}")


def test_token_not_yet_valid_is_refused(codec: HS256Codec) -> None:
    token = codec.encode({"sub": "planner", "nbf": in_hours(1)})

    with pytest.raises(TokenInvalid):
        codec.decode(token)


def test_unexpected_audience_is_refused(codec: HS256Codec) -> None:
    token = codec.encode({"sub": "planner", "aud": "someone-else"})

    with pytest.raises(TokenAudienceMismatch):
        codec.decode(token)
    with pytest.raises(TokenAudienceMismatch):
        codec.decode(token, audience="cornflow")
    assert codec.decode(token, audience="someone-else")["sub"] == "planner"


@pytest.mark.parametrize(
    "token", ["", "garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", "\x00\udc80"]
)
def test_malformed_tokens_are_invalid(codec: HS256Codec, token: str) -> None:
    with pytest.raises(TokenInvalid):
        codec.decode(token)


def test_public_key_is_refused_as_hmac_secret() -> None:
    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    with pytest.raises(ValueError, match="HS256"):
        HS256Codec(pem)


def test_failure_reasons_are_distinct() -> None:
    classes: list[type[TokenError]] = [
        TokenError,
        TokenExpired,
        TokenInvalid,
        TokenIssuerMismatch,
        TokenAudienceMismatch,
        TokenMissingClaim,
        TokenMissingKeyId,
        TokenUnknownKeyId,
        JwksUnavailable,
    ]
    assert len({cls.reason for cls in classes}) == len(classes)
    assert all(issubclass(cls, TokenError) for cls in classes)


# --- JWKS --------------------------------------------------------------------------------------


class SigningKey:
    """A private key and the public JWK an identity provider would publish for it."""

    def __init__(self, kid: str, private_key: Any, algorithm: str) -> None:
        self.kid = kid
        self.private_key = private_key
        self.algorithm = algorithm
        to_jwk = RSAAlgorithm.to_jwk if algorithm.startswith("RS") else ECAlgorithm.to_jwk
        self.jwk: dict[str, Any] = {
            **to_jwk(private_key.public_key(), as_dict=True),
            "kid": kid,
            "use": "sig",
            "alg": algorithm,
        }

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        headers = {"kid": self.kid, **header}
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=headers)


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey(
        "rsa-1", rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"
    )


@pytest.fixture(scope="module")
def rotated_rsa_key() -> SigningKey:
    return SigningKey(
        "rsa-2", rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"
    )


@pytest.fixture(scope="module")
def ec_key() -> SigningKey:
    return SigningKey("ec-1", ec.generate_private_key(ec.SECP256R1()), "ES256")


class JwksServer:
    """A key-set endpoint on a free loopback port, served from a thread."""

    def __init__(self) -> None:
        self.keys: list[Any] = []
        self.status = 200
        self.raw_body: bytes | None = None
        self.requests = 0
        self.arrived = threading.Event()
        self.gate: threading.Event | None = None
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/.well-known/jwks.json"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with state._lock:
                    state.requests += 1
                state.arrived.set()
                status = state.status
                # A bounded wait: if the client blocked the event loop, the gate is never
                # opened and the fetch fails instead of hanging the suite.
                if state.gate is not None and not state.gate.wait(timeout=10):
                    status = 503
                body = state.raw_body
                if body is None:
                    body = json.dumps({"keys": state.keys}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def jwks_server(rsa_key: SigningKey, ec_key: SigningKey) -> Iterator[JwksServer]:
    server = JwksServer()
    server.keys = [rsa_key.jwk, ec_key.jwk]
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def verifier(jwks_server: JwksServer, clock: FakeClock) -> AsyncIterator[JwksVerifier]:
    async with JwksVerifier(
        jwks_server.url,
        audience=AUDIENCE,
        issuer=ISSUER,
        algorithms=("RS256", "ES256"),
        cache_seconds=3600,
        min_refetch_interval=30,
        clock=clock,
    ) as verifier:
        yield verifier


def idp_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "iat": datetime.now(UTC),
        "exp": in_hours(1),
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


async def test_rsa_and_ec_tokens_verify_with_one_fetch(
    verifier: JwksVerifier, jwks_server: JwksServer, rsa_key: SigningKey, ec_key: SigningKey
) -> None:
    rsa_claims = await verifier.verify(rsa_key.sign(idp_claims(sub="alice")))
    ec_claims = await verifier.verify(ec_key.sign(idp_claims(sub="bob")))
    again = await verifier.verify(rsa_key.sign(idp_claims(sub="carol")))

    assert (rsa_claims["sub"], ec_claims["sub"], again["sub"]) == ("alice", "bob", "carol")
    assert jwks_server.requests == 1


async def test_concurrent_first_requests_share_one_fetch(
    verifier: JwksVerifier, jwks_server: JwksServer, rsa_key: SigningKey
) -> None:
    tokens = [rsa_key.sign(idp_claims(sub=f"user-{n}")) for n in range(10)]

    results = await asyncio.gather(*(verifier.verify(token) for token in tokens))

    assert [claims["sub"] for claims in results] == [f"user-{n}" for n in range(10)]
    assert jwks_server.requests == 1


async def test_keys_are_refetched_once_the_cache_expires(
    verifier: JwksVerifier, jwks_server: JwksServer, clock: FakeClock, rsa_key: SigningKey
) -> None:
    token = rsa_key.sign(idp_claims())
    await verifier.verify(token)
    clock.now += 3599
    await verifier.verify(token)
    assert jwks_server.requests == 1

    clock.now += 2
    await verifier.verify(token)

    assert jwks_server.requests == 2


async def test_rotated_key_is_picked_up_by_refetching_on_unknown_kid(
    verifier: JwksVerifier,
    jwks_server: JwksServer,
    clock: FakeClock,
    rsa_key: SigningKey,
    rotated_rsa_key: SigningKey,
) -> None:
    await verifier.verify(rsa_key.sign(idp_claims()))
    jwks_server.keys = [rotated_rsa_key.jwk]
    clock.now += 31

    claims = await verifier.verify(rotated_rsa_key.sign(idp_claims(sub="after-rotation")))

    assert claims["sub"] == "after-rotation"
    assert jwks_server.requests == 2
    with pytest.raises(TokenUnknownKeyId):
        await verifier.verify(rsa_key.sign(idp_claims()))
    assert jwks_server.requests == 2


async def test_unknown_kid_flood_costs_at_most_one_refetch(
    verifier: JwksVerifier, jwks_server: JwksServer, clock: FakeClock, rsa_key: SigningKey
) -> None:
    await verifier.verify(rsa_key.sign(idp_claims()))
    clock.now += 31

    for _ in range(50):
        token = rsa_key.sign(idp_claims(), kid=uuid.uuid4().hex)
        with pytest.raises(TokenUnknownKeyId) as caught:
            await verifier.verify(token)
        assert caught.value.reason == "unknown_kid"

    assert jwks_server.requests == 2
    # Known keys keep working throughout.
    assert (await verifier.verify(rsa_key.sign(idp_claims())))["sub"] == "alice"


async def test_unknown_kid_right_after_a_fetch_does_not_refetch(
    verifier: JwksVerifier, jwks_server: JwksServer, rsa_key: SigningKey
) -> None:
    await verifier.verify(rsa_key.sign(idp_claims()))

    with pytest.raises(TokenUnknownKeyId):
        await verifier.verify(rsa_key.sign(idp_claims(), kid="not-published"))

    assert jwks_server.requests == 1


async def test_missing_kid_is_refused_without_fetching(
    verifier: JwksVerifier, jwks_server: JwksServer, rsa_key: SigningKey
) -> None:
    token = jwt.encode(idp_claims(), rsa_key.private_key, algorithm="RS256")

    with pytest.raises(TokenMissingKeyId) as caught:
        await verifier.verify(token)

    assert caught.value.reason == "missing_kid"
    assert jwks_server.requests == 0


async def test_wrong_audience_is_refused(verifier: JwksVerifier, rsa_key: SigningKey) -> None:
    with pytest.raises(TokenAudienceMismatch):
        await verifier.verify(rsa_key.sign(idp_claims(aud="another-client")))


async def test_missing_audience_is_refused(verifier: JwksVerifier, rsa_key: SigningKey) -> None:
    with pytest.raises(TokenMissingClaim) as caught:
        await verifier.verify(rsa_key.sign(idp_claims(aud=None)))

    assert caught.value.claim == "aud"


async def test_wrong_issuer_is_refused_by_the_verifier(
    verifier: JwksVerifier, rsa_key: SigningKey
) -> None:
    with pytest.raises(TokenIssuerMismatch):
        await verifier.verify(rsa_key.sign(idp_claims(iss="https://evil.example.test/")))


async def test_expired_idp_token_is_refused(verifier: JwksVerifier, ec_key: SigningKey) -> None:
    with pytest.raises(TokenExpired):
        await verifier.verify(ec_key.sign(idp_claims(exp=in_hours(-1))))


async def test_idp_token_without_exp_is_refused(
    verifier: JwksVerifier, rsa_key: SigningKey
) -> None:
    with pytest.raises(TokenMissingClaim) as caught:
        await verifier.verify(rsa_key.sign(idp_claims(exp=None)))

    assert caught.value.claim == "exp"


async def test_token_signed_by_an_unpublished_key_claiming_a_known_kid_is_refused(
    verifier: JwksVerifier, rotated_rsa_key: SigningKey
) -> None:
    impostor = SigningKey("rsa-1", rotated_rsa_key.private_key, "RS256")

    with pytest.raises(TokenInvalid) as caught:
        await verifier.verify(impostor.sign(idp_claims()))

    assert type(caught.value) is TokenInvalid


async def test_algorithm_not_matching_the_key_is_refused(
    verifier: JwksVerifier, ec_key: SigningKey
) -> None:
    # An EC signature presented under the RSA key's kid.
    token = ec_key.sign(idp_claims(), kid="rsa-1")

    with pytest.raises(TokenInvalid):
        await verifier.verify(token)


async def test_alg_none_and_hmac_tokens_are_refused_before_any_fetch(
    verifier: JwksVerifier, jwks_server: JwksServer, rsa_key: SigningKey
) -> None:
    public_pem = rsa_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    unsigned = forge({"alg": "none", "kid": "rsa-1"}, idp_claims(iat=None, exp=9999999999), None)
    confused = forge(
        {"alg": "HS256", "kid": "rsa-1"}, idp_claims(iat=None, exp=9999999999), public_pem
    )

    for token in (unsigned, confused):
        with pytest.raises(TokenInvalid):
            await verifier.verify(token)

    assert jwks_server.requests == 0


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "\x00\udc80", "e30.e30.e30"])
async def test_malformed_idp_tokens_are_invalid_without_fetching(
    verifier: JwksVerifier, jwks_server: JwksServer, token: str
) -> None:
    with pytest.raises(TokenInvalid):
        await verifier.verify(token)

    assert jwks_server.requests == 0


@pytest.mark.parametrize("algorithms", [("HS256",), ("RS256", "HS512"), ("none",), ()])
def test_verifier_refuses_symmetric_or_empty_algorithms(algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="algorithm"):
        JwksVerifier(
            "http://127.0.0.1:9/jwks", audience=AUDIENCE, issuer=ISSUER, algorithms=algorithms
        )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_unreachable_key_set_raises_jwks_unavailable(rsa_key: SigningKey) -> None:
    url = f"http://127.0.0.1:{closed_port()}/.well-known/jwks.json"
    async with JwksVerifier(url, audience=AUDIENCE, issuer=ISSUER, timeout=2.0) as verifier:
        with pytest.raises(JwksUnavailable) as caught:
            await verifier.verify(rsa_key.sign(idp_claims()))

    assert caught.value.reason == "jwks_unavailable"


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, None), (404, None), (200, b"<html>not json</html>"), (200, b'{"no": "keys"}')],
)
async def test_bad_key_set_responses_raise_jwks_unavailable(
    verifier: JwksVerifier,
    jwks_server: JwksServer,
    rsa_key: SigningKey,
    status: int,
    body: bytes | None,
) -> None:
    jwks_server.status = status
    jwks_server.raw_body = body

    with pytest.raises(JwksUnavailable):
        await verifier.verify(rsa_key.sign(idp_claims()))


async def test_failed_fetch_is_not_retried_until_the_interval_passes(
    verifier: JwksVerifier, jwks_server: JwksServer, clock: FakeClock, rsa_key: SigningKey
) -> None:
    jwks_server.status = 503
    token = rsa_key.sign(idp_claims())
    for _ in range(5):
        with pytest.raises(JwksUnavailable):
            await verifier.verify(token)
    assert jwks_server.requests == 1

    jwks_server.status = 200
    clock.now += 31

    assert (await verifier.verify(token))["sub"] == "alice"
    assert jwks_server.requests == 2


async def test_expired_cache_and_provider_down_raises_jwks_unavailable(
    verifier: JwksVerifier, jwks_server: JwksServer, clock: FakeClock, rsa_key: SigningKey
) -> None:
    token = rsa_key.sign(idp_claims())
    await verifier.verify(token)
    jwks_server.status = 502
    clock.now += 3601

    with pytest.raises(JwksUnavailable):
        await verifier.verify(token)
    assert jwks_server.requests == 2


async def test_unusable_keys_in_the_set_do_not_hide_usable_ones(
    verifier: JwksVerifier, jwks_server: JwksServer, rsa_key: SigningKey
) -> None:
    jwks_server.keys = [
        {"kty": "oct", "kid": "shared", "k": b64url(b"x" * 32)},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        {"kty": "EC", "kid": "odd-curve", "crv": "P-999", "x": "AA", "y": "AA"},
        {**rsa_key.jwk, "kid": "encryption", "use": "enc"},
        "not-a-jwk",
        rsa_key.jwk,
    ]

    assert (await verifier.verify(rsa_key.sign(idp_claims())))["sub"] == "alice"
    with pytest.raises(TokenUnknownKeyId):
        await verifier.verify(rsa_key.sign(idp_claims(), kid="encryption"))


async def test_fetch_does_not_block_the_event_loop(
    verifier: JwksVerifier, jwks_server: JwksServer, rsa_key: SigningKey
) -> None:
    jwks_server.gate = threading.Event()
    token = rsa_key.sign(idp_claims())

    pending = asyncio.create_task(verifier.verify(token))

    # This line only runs while the fetch is in flight if the fetch yields to the loop;
    # a blocking fetch would hold the server at the gate until it gives up with a 503.
    assert await asyncio.to_thread(jwks_server.arrived.wait, 20)
    jwks_server.gate.set()
    claims = await pending

    assert claims["sub"] == "alice"
