"""Responses reduced to what two servers must agree on.

Volatile values are replaced by placeholders that keep what is comparable about them: a token
becomes its algorithm, claim names and lifetime; a timestamp its format; a random 40-hex id a
number given in order of first appearance (per server and per run, so that "the instance created
in step 2 is the one listed in step 5" is still compared). Key order is kept: Cornflow's clients
see it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cutover.parity import tokens

COMPARED_HEADERS = (
    "content-type",
    "location",
    "allow",
    "content-disposition",
    "access-control-allow-origin",
)

_HEX40 = re.compile(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?P<sep>[T ])\d{2}:\d{2}:\d{2}(?P<fraction>\.\d{1,6})?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)
# Flask names a download `<name>_<YYYYmmdd-HHMMSS>.zip` (execution files).
_COMPACT_STAMP = re.compile(r"(?<!\d)\d{8}-\d{6}(?!\d)")
_HTTP_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)


def _datetime_placeholder(match: re.Match[str]) -> str:
    # A missing fraction is the same format: Python drops ".000000" when microseconds are 0.
    shape = "YYYY-MM-DD" + match["sep"] + "hh:mm:ss[.ffffff]"
    if match["zone"]:
        shape += "+zone"
    return f"<datetime {shape}>"


@dataclass
class Normaliser:
    """Normalises one server's responses; keep one per server for a whole scenario or replay."""

    base_url: str = ""
    secret: str | None = None
    _hex_ids: dict[str, int] = field(default_factory=dict)

    def hex_id(self, value: str) -> str:
        number = self._hex_ids.setdefault(value, len(self._hex_ids) + 1)
        return f"<hex40 #{number}>"

    def string(self, value: str) -> str:
        decoded = tokens.decode(value, self.secret) if value.count(".") == 2 else None
        if decoded is not None:
            return decoded.describe()
        if _HTTP_DATE.match(value):
            return "<datetime http-date>"
        if self.base_url:
            value = value.replace(self.base_url, "{base}")
        value = _HEX40.sub(lambda match: self.hex_id(match[0]), value)
        return _DATETIME.sub(_datetime_placeholder, value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def response(
        self,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
        *,
        compared_headers: Iterable[str] = COMPARED_HEADERS,
        ignore: Sequence[str] = (),
    ) -> NormalisedResponse:
        selected: dict[str, str] = {}
        for name in compared_headers:
            if name in headers:
                selected[name] = self.string(headers[name])
        if "content-disposition" in selected:
            selected["content-disposition"] = _COMPACT_STAMP.sub(
                "<datetime YYYYmmdd-HHMMSS>", selected["content-disposition"]
            )
        if "allow" in selected:
            # Werkzeug builds Allow from a set: its order changes with each process's hash seed.
            methods = (method.strip() for method in selected["allow"].split(","))
            selected["allow"] = ", ".join(sorted(filter(None, methods)))
        kind, body = parse_body(headers.get("content-type", ""), content)
        if kind in ("json", "text"):
            body = self.value(body)
        if kind == "json" and ignore:
            body = mask(body, ignore)
        return NormalisedResponse(status=status, headers=selected, kind=kind, body=body)


def parse_body(content_type: str, content: bytes) -> tuple[str, Any]:
    """("json", value), ("text", str), ("binary", "<n bytes>") or ("empty", None)."""
    if not content:
        return "empty", None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", f"<{len(content)} bytes>"
    if "json" in content_type:
        try:
            return "json", json.loads(text)
        except ValueError:
            pass
    return "text", text


def mask(body: Any, paths: Sequence[str]) -> Any:
    """Replace the values at dotted paths ("0.created_at", "*.token") by "<ignored>"."""
    for path in paths:
        body = _mask_one(body, path.split("."))
    return body


def _mask_one(node: Any, parts: list[str]) -> Any:
    if not parts:
        return "<ignored>"
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict):
        return {
            key: (_mask_one(value, rest) if head in ("*", key) else value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            _mask_one(item, rest) if head == "*" or head == str(index) else item
            for index, item in enumerate(node)
        ]
    return node


SHOWN_STRING_LENGTH = 300


def _shortened(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SHOWN_STRING_LENGTH:
        return f"{value[:SHOWN_STRING_LENGTH]}... ({len(value)} characters)"
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shortened(item) for item in value]
    return value


@dataclass(frozen=True)
class NormalisedResponse:
    status: int
    headers: dict[str, str]
    kind: str
    body: Any

    def render(self) -> str:
        """The text both sides are diffed on: status, compared headers, then the body.

        Only for reading: very long strings (Flask's development tracebacks) are cut.
        """
        lines = [f"status: {self.status}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.kind == "json":
            lines.append("body (json):")
            shown = json.dumps(_shortened(self.body), indent=2, ensure_ascii=False)
            lines += shown.splitlines()
        elif self.kind == "empty":
            lines.append("body: (empty)")
        else:
            lines.append(f"body ({self.kind}):")
            lines += str(self.body).splitlines()
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headers": self.headers,
            "kind": self.kind,
            "body": self.body,
        }
