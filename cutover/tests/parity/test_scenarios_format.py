"""Scenario files: what the loader accepts, expands and refuses, and how placeholders render."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cutover.parity import tokens
from cutover.parity.runner import build_request
from cutover.parity.scenario import DEFAULT_USERS, ScenarioError, load_scenario
from cutover.parity.templating import Context, SeededUser, StepRecord, TemplateError, render

SECRET = "scenario-test-secret"


def write(tmp_path: Path, text: str, name: str = "sample") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def context() -> Context:
    users = {
        user.handle: SeededUser(user.handle, index + 1, user.username, user.email, user.password)
        for index, user in enumerate(DEFAULT_USERS)
    }
    return Context(secret=SECRET, users=users)


def test_shorthand_roles_and_expectations(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(
            tmp_path,
            """
steps:
  - name: list
    get: /user/
    as: all
    expect: {admin: 200, anonymous: 400, "*": 403}
  - name: one
    method: put
    path: /user/{{users.planner.id}}/
    as: planner
    json: {first_name: A}
""",
        )
    )
    names = [step.name for step in scenario.steps]
    assert names == [
        "list.anonymous", "list.service", "list.admin", "list.planner", "list.viewer",
        "list.norole", "list.dummy", "one",
    ]  # fmt: skip
    expected = {step.actor: step.expect for step in scenario.steps[:-1]}
    assert expected["admin"] == 200
    assert expected["anonymous"] == 400
    assert expected["viewer"] == 403
    assert scenario.steps[-1].method == "PUT"
    assert scenario.step_id(scenario.steps[-1]) == "sample/one"
    assert [scenario.role_of(step) for step in scenario.steps[:-1]] == [
        "anonymous", "service", "admin", "planner", "viewer", "no role", "dummy",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps: []", "non-empty list"),
        ("steps:\n  - {name: a, get: /x/, post: /y/}", "give `method` and `path`"),
        ("steps:\n  - {name: a, method: FLY, path: /x/}", "`method` must be one of"),
        ("steps:\n  - {name: a, get: x/}", "starting with /"),
        ("steps:\n  - {name: Bad Name, get: /x/}", "`name` must match"),
        ("steps:\n  - {name: a, get: /x/, jsn: {}}", "unknown keys ['jsn']"),
        ("steps:\n  - {name: a, get: /x/, json: {}, raw: x}", "at most one of"),
        ("steps:\n  - {name: a, get: /x/, as: root}", "is not a seeded user"),
        ("steps:\n  - {name: a, get: /x/}\n  - {name: a, get: /y/}", "two steps are named 'a'"),
        ("steps:\n  - {name: a, get: '/{{later.id}}/'}\n  - {name: later, get: /y/}", "names no"),
        ("steps:\n  - {name: users, get: /x/}", "reserved"),
        ("setup: {users: [{handle: x, roles: [boss]}]}\nsteps: [{name: a, get: /x/}]", "unknown"),
        ("setup: {users: [norole]}\nsteps: [{name: a, get: /x/}]", "need an admin"),
        ("setup: {users: [anonymous]}\nsteps: [{name: a, get: /x/}]", "cannot name a user"),
        ("stepz: []", "unknown keys"),
        ("steps: [", "not valid YAML"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=None) as error:
        load_scenario(write(tmp_path, text))
    assert message in str(error.value)
    assert "sample.yaml" in str(error.value)


def test_settings_and_users(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(
            tmp_path,
            """
setup:
  users: [admin, {handle: boss, roles: [admin, planner], password: Boss_1234}, norole]
  settings: {SIGNUP_ACTIVATED: 2, OPEN_DEPLOYMENT: false}
steps: [{name: a, get: /x/, as: boss}]
""",
        )
    )
    assert scenario.setup.settings == (("OPEN_DEPLOYMENT", "0"), ("SIGNUP_ACTIVATED", "2"))
    boss = scenario.setup.user("boss")
    assert boss is not None
    assert (boss.username, boss.email, boss.password) == ("boss", "boss@cornflow.com", "Boss_1234")
    assert scenario.role_of(scenario.steps[0]) == "admin+planner"
    other = load_scenario(write(tmp_path, "steps: [{name: a, get: /x/}]", "other"))
    assert other.setup.users_key() != scenario.setup.users_key()
    assert other.setup.users == DEFAULT_USERS


def test_placeholders_keep_types_when_whole() -> None:
    ctx = context()
    ctx.steps["created"] = StepRecord(201, {"location": "/x/"}, {"id": 7, "rows": [{"n": "a"}]})
    ctx.steps["list.admin"] = StepRecord(200, {}, [{"id": 3}])
    assert render({"user_id": "{{users.planner.id}}"}, ctx) == {"user_id": 3}
    assert render("/user/{{users.planner.id}}/", ctx) == "/user/3/"
    assert render("{{created.id}}", ctx) == 7
    assert render("{{created.rows.0.n}}", ctx) == "a"
    assert render("{{created.rows.-1.n}}", ctx) == "a"
    assert render("{{created.@status}}", ctx) == 201
    assert render("{{created.@headers.Location}}", ctx) == "/x/"
    assert render("{{list.admin.0.id}}", ctx) == 3
    for broken in ("{{created.nope}}", "{{users.ghost.id}}", "{{token.planner.odd}}", "{{x.y}}"):
        with pytest.raises(TemplateError):
            render(broken, ctx)


def test_token_placeholders() -> None:
    ctx = context()

    def claims(expression: str) -> dict[str, object]:
        decoded = tokens.decode(str(render("{{" + expression + "}}", ctx)), SECRET)
        assert decoded is not None
        return decoded.claims | {"valid": decoded.signature_valid}

    valid = claims("token.planner")
    assert list(valid) == ["exp", "iat", "sub", "iss", "valid"]
    assert valid["sub"] == "planner"
    assert valid["valid"] is True
    assert claims("token.service")["sub"] == "service_user"
    expired = claims("token.planner.expired")
    exp, iat = expired["exp"], expired["iat"]
    assert isinstance(exp, int)
    assert isinstance(iat, int)
    assert exp < iat
    assert claims("token.planner.wrong_secret")["valid"] is False
    assert claims("token.planner.wrong_issuer")["iss"] == "not-cornflow"
    assert "exp" not in claims("token.planner.no_exp")
    assert "iss" not in claims("token.planner.no_iss")
    assert "sub" not in claims("token.planner.no_sub")
    assert claims("jwt(sub=ghost, exp=-5)")["sub"] == "ghost"
    assert "sub" not in claims("jwt(exp=none)")
    assert claims("jwt(sub=a, secret=wrong)")["valid"] is False
    with pytest.raises(TemplateError):
        render("{{jwt(user=a)}}", ctx)


def test_requests_built_from_steps(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(
            tmp_path,
            r"""
steps:
  - {name: plain, post: /login/, json: {username: planner, password: x}}
  - {name: zipped, post: /instance/, as: planner, gzip: {a: 1}}
  - name: raw
    post: /login/
    raw: '{"a": '
    content_type: application/json
    headers: {X-Trace: "{{users.viewer.username}}"}
  - name: upload
    post: /instancefile/
    as: admin
    multipart:
      fields: {name: test, minimize: 1}
      files: {file: {filename: a.mps, content: "NAME x", content_type: text/plain}}
  - {name: bare, get: /token/, as: planner, headers: {Authorization: null}}
""",
        )
    )
    ctx = context()
    plain, zipped, raw, upload, bare = (build_request(step, ctx) for step in scenario.steps)
    assert plain.headers == {"Content-Type": "application/json"}
    assert json.loads(plain.content or b"") == {"username": "planner", "password": "x"}
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Authorization"].startswith("Bearer eyJ")
    assert json.loads(gzip.decompress(zipped.content or b"")) == {"a": 1}
    assert raw.content == b'{"a": '
    assert raw.headers == {"Content-Type": "application/json", "X-Trace": "viewer"}
    assert upload.data == {"name": "test", "minimize": "1"}
    assert upload.files == {"file": ("a.mps", b"NAME x", "text/plain")}
    assert bare.headers == {}
