"""Which Flask url rule a request path hits, so the report can group steps per endpoint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from cornflow_fastapi.access import catalog

_CONVERTER = re.compile(r"<(?:(?P<kind>[a-z]+):)?(?P<name>[a-z_0-9]+)>")
NO_RULE = "(no url rule)"
_REPEATED_SLASHES = re.compile(r"//+")


@dataclass(frozen=True)
class Rule:
    rule: str
    pattern: re.Pattern[str]
    converters: int


def _compile(rule: str) -> Rule:
    parts: list[str] = []
    position = 0
    for match in _CONVERTER.finditer(rule):
        parts.append(re.escape(rule[position : match.start()]))
        parts.append("[0-9]+" if match["kind"] == "int" else "[^/]+")
        position = match.end()
    parts.append(re.escape(rule[position:]))
    return Rule(rule, re.compile("^" + "".join(parts) + "$"), len(_CONVERTER.findall(rule)))


@cache
def flask_rules() -> tuple[Rule, ...]:
    """Every url rule Flask Cornflow 1.3.9 can mount, static ones first (as Werkzeug ranks)."""
    views = (*catalog.CORE_VIEWS, catalog.SIGNUP, catalog.LOGIN, *catalog.ALARM_VIEWS)
    rules = {_compile(view.url_rule) for view in views}
    return tuple(sorted(rules, key=lambda rule: (rule.converters, rule.rule)))


def endpoint_of(method: str, path: str) -> str:
    """ "GET /user/<int:user_id>/", with " (no trailing slash)" or " (repeated slashes)" for the
    paths Werkzeug redirects to that rule, or "GET (no url rule)"."""
    bare = urlsplit(path).path
    merged = _REPEATED_SLASHES.sub("/", bare)
    note = " (repeated slashes)" if merged != bare else ""
    candidates = [(merged, note)]
    if not merged.endswith("/"):
        candidates.append((merged + "/", note or " (no trailing slash)"))
    for candidate, suffix in candidates:
        for rule in flask_rules():
            if rule.pattern.match(candidate):
                return f"{method} {rule.rule}{suffix}"
    return f"{method} {NO_RULE}"
