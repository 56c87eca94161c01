"""What differs between the two sides' normalised responses, and a diff a person can read."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from cutover.parity.normalise import NormalisedResponse

BODY_LIST_ORDER = "body list order"


@dataclass(frozen=True)
class Comparison:
    differences: tuple[str, ...]
    diff: str

    @property
    def only_list_order(self) -> bool:
        """The bodies hold the same items, but some list has them in another order."""
        return self.differences == (BODY_LIST_ORDER,)

    @property
    def equal(self) -> bool:
        return not self.differences


def _unordered(value: Any) -> Any:
    """The value with object keys sorted: equal here but not before means only order differs."""
    if isinstance(value, dict):
        return {key: _unordered(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_unordered(item) for item in value]
    return value


def _sorted_lists(value: Any) -> Any:
    """The value with every list's items in a canonical order (object keys keep theirs)."""
    if isinstance(value, dict):
        return {key: _sorted_lists(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_sorted_lists(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, ensure_ascii=False))
    return value


def _wire(kind: str, body: Any) -> str:
    # Compared as JSON text: in Python 1 == 1.0 == True and dict equality ignores key order.
    return kind + ":" + json.dumps(body, ensure_ascii=False)


def compare(
    left: NormalisedResponse,
    right: NormalisedResponse,
    *,
    left_name: str = "flask",
    right_name: str = "ours",
) -> Comparison:
    differences: list[str] = []
    if left.status != right.status:
        differences.append(f"status {left.status} != {right.status}")
    for name in sorted(set(left.headers) | set(right.headers)):
        if left.headers.get(name) != right.headers.get(name):
            differences.append(f"header {name}")
    if _wire(left.kind, left.body) != _wire(right.kind, right.body):
        both_json = left.kind == right.kind == "json"
        if both_json and _wire("json", _unordered(left.body)) == _wire(
            "json", _unordered(right.body)
        ):
            differences.append("body key order")
        elif both_json and _wire("json", _sorted_lists(left.body)) == _wire(
            "json", _sorted_lists(right.body)
        ):
            differences.append(BODY_LIST_ORDER)
        else:
            differences.append("body")
    if not differences:
        return Comparison((), "")
    diff = "".join(
        difflib.unified_diff(
            left.render().splitlines(keepends=True),
            right.render().splitlines(keepends=True),
            fromfile=left_name,
            tofile=right_name,
            n=3,
        )
    )
    return Comparison(tuple(differences), diff)
