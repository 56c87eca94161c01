"""DEVIATIONS.md as data, and the reach of the scenario suite: every endpoint, every role."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from cornflow_fastapi.access import catalog
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.main import create_app
from cutover.parity.cli import SCENARIOS_DIR
from cutover.parity.deviations import StepPattern, load_deviations, parse_deviations
from cutover.parity.endpoints import NO_RULE, endpoint_of
from cutover.parity.scenario import load_scenarios
from cutover.parity.templating import render_for_matching

ROLES = ("anonymous", "viewer", "planner", "admin", "service", "no role")

TABLE = """
# Title

## Crashes

| request | Flask | why | parity step |
| --- | --- | --- | --- |
| a \\| b | 500 | because | `users/huge.*`, `http/head.admin@postgres` |
| c | 500 | none shown | - |

## Lists

| request | why | parity step |
| --- | --- | --- |
| lists | stable | `*:order@postgres` |

## Additions

| what | why |
| --- | --- |
| /metrics | probes |
"""


def test_parse_rows_with_parity_steps() -> None:
    first, second, lists = parse_deviations(TABLE)
    assert (first.section, first.what, first.why) == ("Crashes", "a | b", "because")
    assert first.steps == ("users/huge.*", "http/head.admin@postgres")
    assert first.explains("users/huge.admin")
    assert not first.explains("users/huge")
    assert first.explains("http/head.admin", database="postgres")
    assert not first.explains("http/head.admin", database="sqlite")
    assert second.steps == ()
    assert not lists.explains("users/list", database="postgres")
    assert lists.explains("users/list", only_order=True, database="postgres")
    assert not lists.explains("users/list", only_order=True, database="sqlite")


def test_malformed_qualifiers_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown qualifier"):
        StepPattern.parse("users/x:sorted")
    with pytest.raises(ValueError, match="unknown database"):
        StepPattern.parse("users/x@mysql")


SCENARIOS = load_scenarios(SCENARIOS_DIR)
STEP_IDS = [scenario.step_id(step) for scenario in SCENARIOS for step in scenario.steps]


def test_every_listed_step_exists() -> None:
    """A mistyped id in DEVIATIONS.md would silently explain nothing."""
    for deviation in load_deviations():
        for pattern in deviation.patterns():
            assert any(fnmatchcase(step_id, pattern.pattern) for step_id in STEP_IDS), (
                f"DEVIATIONS.md names `{pattern.pattern}`, which matches no scenario step"
            )


def served_endpoints(**settings: object) -> set[str]:
    """ "METHOD /flask/rule/" for every route our server registers with these settings."""
    app = create_app(CornflowSettings(database_url="sqlite:///:memory:", **settings))
    rules = {view.name: view.url_rule for view in catalog.exposed_views(app.state.settings)}
    served = set()
    for route in app.state.flask_routes:
        for method in route.methods - {"HEAD"}:
            served.add(f"{method} {rules[route.name]}")
    return served


def covered() -> dict[str, set[str]]:
    roles: dict[str, set[str]] = {}
    for scenario in SCENARIOS:
        for step in scenario.steps:
            endpoint = endpoint_of(step.method, render_for_matching(step.path))
            roles.setdefault(endpoint, set()).add(scenario.role_of(step))
    return roles


def test_every_endpoint_we_serve_is_tried_by_every_role() -> None:
    served = served_endpoints(signup_activated=1) | served_endpoints(signup_activated=2)
    assert "POST /signup/" in served
    assert "GET /user/<int:user_id>/" in served
    roles = covered()
    missing = {
        endpoint: sorted(set(ROLES) - roles.get(endpoint, set()))
        for endpoint in sorted(served)
        if set(ROLES) - roles.get(endpoint, set())
    }
    assert not missing, f"endpoints not tried by these roles: {missing}"


def test_error_paths_are_covered() -> None:
    endpoints = covered()
    assert any(NO_RULE in endpoint for endpoint in endpoints), "an unknown url"
    assert any(endpoint.endswith("(no trailing slash)") for endpoint in endpoints)
    assert any(step_id.startswith("tokens/protected-expired") for step_id in STEP_IDS)
    for kind in ("malformed", "unknown-field", "wrong-type", "missing"):
        assert any(kind in step_id for step_id in STEP_IDS), kind


@pytest.mark.parametrize(
    ("method", "path", "endpoint"),
    [
        ("GET", "/user/3/", "GET /user/<int:user_id>/"),
        ("GET", "/user/role/", "GET /user/role/"),
        ("GET", "/user/role/3/2/", "GET /user/role/<int:user_id>/<int:role_id>/"),
        ("PUT", "/user/3/1/?x=1", "PUT /user/<int:user_id>/<int:make_admin>/"),
        ("GET", "/user/abc/", f"GET {NO_RULE}"),
        ("GET", "/user", "GET /user/ (no trailing slash)"),
        ("GET", "/user//role", "GET /user/role/ (repeated slashes)"),
        ("DELETE", "/execution/files/cleanup/", "DELETE /execution/files/cleanup/"),
        ("GET", "/execution/abc/", "GET /execution/<string:idx>/"),
        ("GET", "/nope/", f"GET {NO_RULE}"),
    ],
)
def test_paths_are_grouped_by_flask_url_rule(method: str, path: str, endpoint: str) -> None:
    assert endpoint_of(method, path) == endpoint
