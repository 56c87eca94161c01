"""The normaliser keeps what two servers must agree on and nothing else."""

from __future__ import annotations

import json

from cutover.parity import tokens
from cutover.parity.compare import BODY_LIST_ORDER, compare
from cutover.parity.normalise import NormalisedResponse, Normaliser, mask

SECRET = "parity-test-secret"
JSON = {"content-type": "application/json"}


def response(body: object, *, status: int = 200, normaliser: Normaliser | None = None,
             headers: dict[str, str] | None = None) -> NormalisedResponse:  # fmt: skip
    return (normaliser or Normaliser(secret=SECRET)).response(
        status, headers or JSON, json.dumps(body).encode()
    )


def login_token(*, lifetime: int = 86400, secret: str = SECRET, subject: str = "planner") -> str:
    return tokens.mint(secret, tokens.cornflow_claims(subject, lifetime=lifetime))


def test_tokens_compare_by_algorithm_claims_and_lifetime() -> None:
    token = login_token()
    described = Normaliser(secret=SECRET).string(token)
    assert described == (
        "<jwt alg=HS256 claims=exp,iat,sub,iss sub=planner iss=cornflow lifetime=1440min "
        "signature=valid>"
    )
    # Another login a moment later: other instants, same description.
    assert Normaliser(secret=SECRET).string(login_token()) == described


def test_token_differences_that_show() -> None:
    normaliser = Normaliser(secret=SECRET)
    assert "lifetime=60min" in normaliser.string(login_token(lifetime=3600))
    assert "signature=INVALID" in normaliser.string(login_token(secret="other"))
    assert "sub=viewer" in normaliser.string(login_token(subject="viewer"))
    reordered = tokens.mint(SECRET, {"sub": "planner", "iat": 1, "exp": 2, "iss": "cornflow"})
    assert "claims=sub,iat,exp,iss" in normaliser.string(reordered)
    # Without the secret the signature is not judged.
    assert "signature" not in Normaliser().string(login_token())


def test_strings_that_merely_look_like_tokens_stay() -> None:
    normaliser = Normaliser(secret=SECRET)
    for text in ("1.3.9", "a.b.c", "eyJ.garbage.x", "Invalid token format or signature"):
        assert normaliser.string(text) == text


def test_timestamps_compare_by_format() -> None:
    normaliser = Normaliser()
    iso = normaliser.string("2026-11-23T00:06:48.280852")
    assert iso == "<datetime YYYY-MM-DDThh:mm:ss[.ffffff]>"
    # Python drops the fraction when microseconds are 0: the same format.
    assert normaliser.string("2026-11-23T00:06:48") == iso
    assert normaliser.string("2026-11-23 00:06:23.050997") == (
        "<datetime YYYY-MM-DD hh:mm:ss[.ffffff]>"
    )
    assert normaliser.string("2026-11-23T00:06:48+00:00") != iso
    assert normaliser.string("Mon, 23 Nov 2026 00:06:23 GMT") == "<datetime http-date>"
    assert normaliser.string("2026-11-23") == "2026-11-23"


def test_random_ids_are_numbered_by_first_appearance() -> None:
    first, second = "a" * 40, "0123456789abcdef0123456789abcdef01234567"
    normaliser = Normaliser()
    assert normaliser.value({"id": first, "instance_id": second, "again": first}) == {
        "id": "<hex40 #1>",
        "instance_id": "<hex40 #2>",
        "again": "<hex40 #1>",
    }
    assert normaliser.string(f"execution {second} updated correctly") == (
        "execution <hex40 #2> updated correctly"
    )
    # 64-hex data hashes are deterministic: compared exactly.
    digest = "39b5d611bd2881571cb5c29c08057396b4fb9df1cb5f041c30c67967d49c134e"
    assert normaliser.string(digest) == digest


def test_numbering_keeps_references_comparable() -> None:
    left, right = Normaliser(), Normaliser()
    same = compare(
        response([{"id": "1" * 40}, {"of": "1" * 40}], normaliser=left),
        response([{"id": "2" * 40}, {"of": "2" * 40}], normaliser=right),
    )
    assert same.equal
    crossed = compare(
        response([{"id": "3" * 40}, {"of": "3" * 40}], normaliser=Normaliser()),
        response([{"id": "4" * 40}, {"of": "5" * 40}], normaliser=Normaliser()),
    )
    assert crossed.differences == ("body",)


def test_base_urls_are_replaced_in_headers_and_bodies() -> None:
    left = Normaliser(base_url="http://127.0.0.1:5001").response(
        308, {"location": "http://127.0.0.1:5001/user/", "content-type": "text/html"}, b"x"
    )
    right = Normaliser(base_url="http://127.0.0.1:6002").response(
        308, {"location": "http://127.0.0.1:6002/user/", "content-type": "text/html"}, b"x"
    )
    assert left.headers["location"] == "{base}/user/"
    assert compare(left, right).equal


def test_allow_is_compared_as_a_set_of_methods() -> None:
    left = Normaliser().response(405, {"allow": "OPTIONS, GET, HEAD"}, b"")
    right = Normaliser().response(405, {"allow": "GET, HEAD, OPTIONS"}, b"")
    assert compare(left, right).equal
    fewer = Normaliser().response(405, {"allow": "GET, OPTIONS"}, b"")
    assert compare(left, fewer).differences == ("header allow",)


def test_key_order_matters() -> None:
    comparison = compare(response({"id": 1, "name": "a"}), response({"name": "a", "id": 1}))
    assert comparison.differences == ("body key order",)
    assert '-  "id": 1,' in comparison.diff


def test_list_order_is_told_apart() -> None:
    comparison = compare(response([{"id": 1}, {"id": 2}]), response([{"id": 2}, {"id": 1}]))
    assert comparison.differences == (BODY_LIST_ORDER,)
    assert comparison.only_list_order
    other = compare(response([{"id": 1}, {"id": 2}]), response([{"id": 2}, {"id": 3}]))
    assert other.differences == ("body",)


def test_json_types_are_compared_as_on_the_wire() -> None:
    assert compare(response({"valid": 1}), response({"valid": True})).differences == ("body",)
    assert compare(response({"n": 1}), response({"n": 1.0})).differences == ("body",)
    assert compare(response({"n": None}), response({})).differences == ("body",)


def test_status_headers_and_body_kinds() -> None:
    json_answer = response({"error": "x"}, status=400)
    text_answer = Normaliser().response(400, {"content-type": "text/plain"}, b'{"error": "x"}')
    comparison = compare(json_answer, text_answer)
    assert comparison.differences == ("header content-type", "body")
    assert compare(response({}, status=200), response({}, status=201)).differences == (
        "status 200 != 201",
    )
    empty = Normaliser().response(200, {}, b"")
    assert empty.kind == "empty"
    binary = Normaliser().response(200, {"content-type": "application/zip"}, b"\xff\xfe")
    assert binary.kind == "binary"


def test_ignored_paths() -> None:
    body = [{"id": 1, "note": "a"}, {"id": 2, "note": "b"}]
    assert mask(body, ["*.note"]) == [
        {"id": 1, "note": "<ignored>"},
        {"id": 2, "note": "<ignored>"},
    ]
    assert mask({"a": {"b": 1, "c": 2}}, ["a.b"]) == {"a": {"b": "<ignored>", "c": 2}}
    assert mask(body, ["1.id"]) == [{"id": 1, "note": "a"}, {"id": "<ignored>", "note": "b"}]


def test_download_names_compare_by_their_time_stamp_format() -> None:
    def disposition(name: str) -> dict[str, str]:
        answer = Normaliser().response(
            200, {"content-disposition": f"attachment; filename={name}"}, b""
        )
        return answer.headers

    assert disposition("run_20261123-081502.zip") == disposition("run_20261123-081503.zip")
    assert disposition("run_20261123-081502.zip") != disposition("other_20261123-081502.zip")
