"""`{{...}}` placeholders in scenario steps, resolved separately for each server.

A value that is exactly one placeholder takes the placeholder's type (`user_id:
"{{users.planner.id}}"` sends an integer); a placeholder inside a longer string is formatted.

Placeholders:
  users.<who>.id|username|email|password   a seeded user (id as that server numbered it)
  token.<who>                              a valid token for that user (exp in one hour)
  token.<who>.expired|wrong_secret|wrong_issuer|no_exp|no_iss|no_sub
  jwt(sub=..., exp=<seconds from now>|none, iss=...|none, secret=wrong)
  <step>.<path>                            the JSON body of an earlier step ("0.id", "token")
  <step>.@status, <step>.@headers.<name>   its status and response headers
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cutover.parity import tokens

_PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")
_JWT_CALL = re.compile(r"^jwt\((?P<args>.*)\)$")
TOKEN_VARIANTS = ("expired", "wrong_secret", "wrong_issuer", "no_exp", "no_iss", "no_sub")
RESERVED_NAMES = frozenset({"users", "token", "jwt"})


class TemplateError(ValueError):
    """A placeholder that cannot be resolved (unknown name, or a value the step did not get)."""


@dataclass(frozen=True)
class SeededUser:
    handle: str
    id: int | None
    username: str
    email: str
    password: str


@dataclass(frozen=True)
class StepRecord:
    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass
class Context:
    """What one server's run knows: its users, its secret and its earlier responses."""

    secret: str
    users: Mapping[str, SeededUser]
    steps: dict[str, StepRecord] = field(default_factory=dict)

    def resolve(self, expression: str) -> Any:
        call = _JWT_CALL.match(expression)
        if call:
            return self._jwt(call["args"])
        head, _, rest = expression.partition(".")
        if head == "users":
            return self._user_field(rest)
        if head == "token":
            return self._token(rest)
        return self._step_value(expression)

    def _user(self, handle: str) -> SeededUser:
        try:
            return self.users[handle]
        except KeyError:
            raise TemplateError(
                f"no seeded user {handle!r} (seeded: {sorted(self.users)})"
            ) from None

    def _user_field(self, rest: str) -> Any:
        handle, _, name = rest.partition(".")
        user = self._user(handle)
        if name == "token":
            return self._token(handle)
        if name not in ("id", "username", "email", "password"):
            raise TemplateError(f"users.{handle}.{name}: use id, username, email or password")
        value = getattr(user, name)
        if value is None:
            raise TemplateError(f"the id of {handle!r} is unknown on this server")
        return value

    def _token(self, rest: str) -> str:
        handle, _, variant = rest.partition(".")
        subject: str | None = self._user(handle).username
        lifetime: float | None = 3600
        issuer: str | None = tokens.ISSUER
        secret = self.secret
        if variant == "expired":
            lifetime = -3600
        elif variant == "wrong_secret":
            secret = self.secret + "-but-not-this-one"
        elif variant == "wrong_issuer":
            issuer = "not-cornflow"
        elif variant == "no_exp":
            lifetime = None
        elif variant == "no_iss":
            issuer = None
        elif variant == "no_sub":
            subject = None
        elif variant:
            raise TemplateError(f"token.{handle}.{variant}: variants are {TOKEN_VARIANTS}")
        return tokens.mint(
            secret, tokens.cornflow_claims(subject, lifetime=lifetime, issuer=issuer)
        )

    def _jwt(self, arguments: str) -> str:
        options: dict[str, str] = {}
        for part in filter(None, (piece.strip() for piece in arguments.split(","))):
            name, equals, value = part.partition("=")
            if not equals or name.strip() not in ("sub", "exp", "iss", "secret"):
                raise TemplateError(f"jwt({arguments}): arguments are sub=, exp=, iss=, secret=")
            options[name.strip()] = value.strip()

        def optional(name: str, default: str | None) -> str | None:
            value = options.get(name, default)
            return None if value == "none" else value

        exp = optional("exp", "3600")
        secret = self.secret if options.get("secret") != "wrong" else self.secret + "-wrong"
        claims = tokens.cornflow_claims(
            optional("sub", None),
            lifetime=None if exp is None else float(exp),
            issuer=optional("iss", tokens.ISSUER),
        )
        return tokens.mint(secret, claims)

    def _step_value(self, expression: str) -> Any:
        # Step names may contain dots (expanded roles: "get.viewer"): take the longest match.
        parts = expression.split(".")
        for cut in range(len(parts), 0, -1):
            name = ".".join(parts[:cut])
            if name in self.steps:
                return _walk(self.steps[name], parts[cut:], expression)
        raise TemplateError(f"{{{{{expression}}}}}: no earlier step named {parts[0]!r}")


def _walk(record: StepRecord, path: list[str], expression: str) -> Any:
    if path[:1] == ["@status"]:
        return record.status
    if path[:1] == ["@headers"] and len(path) == 2:
        value = record.headers.get(path[1].lower())
        if value is None:
            raise TemplateError(f"{{{{{expression}}}}}: no such response header")
        return value
    node = record.body
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif (
            isinstance(node, list)
            and part.lstrip("-").isdigit()
            and -len(node) <= int(part) < len(node)
        ):
            node = node[int(part)]
        else:
            raise TemplateError(
                f"{{{{{expression}}}}}: {part!r} not found in that step's response "
                f"(status {record.status})"
            )
    return node


def render(value: Any, context: Context) -> Any:
    """value (from YAML) with every placeholder resolved."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return context.resolve(whole[1])
        return _PLACEHOLDER.sub(lambda match: str(context.resolve(match[1])), value)
    if isinstance(value, dict):
        return {render(key, context): render(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context) for item in value]
    return value


def placeholders(value: Any) -> list[str]:
    """Every placeholder expression in value (for checks before a run)."""
    if isinstance(value, str):
        return [match[1] for match in _PLACEHOLDER.finditer(value)]
    if isinstance(value, dict):
        return [
            name for key, item in value.items() for name in placeholders(key) + placeholders(item)
        ]
    if isinstance(value, list):
        return [name for item in value for name in placeholders(item)]
    return []


def render_for_matching(text: str) -> str:
    """A path with every placeholder replaced by "1": enough to tell which url rule it hits."""
    return _PLACEHOLDER.sub("1", text)
