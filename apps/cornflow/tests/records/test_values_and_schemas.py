"""The shared checks on stored JSON: finite numbers, nesting, and JSON-schema validation."""

from __future__ import annotations

from typing import Any

import pytest

from cornflow_fastapi.errors import InvalidData
from cornflow_fastapi.jsonschemas.validation import (
    SchemaKind,
    extend_and_validate,
    jsonschema_errors,
    raise_if_invalid,
)
from cornflow_fastapi.records.values import all_finite, nesting_depth


def deep_list(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("values", "finite"),
    [
        ((), True),
        ((1, "x", None, True, 1.5), True),
        (({"a": [1, {"b": float("nan")}]},), False),
        (([float("inf")],), False),
        (({"a": 1}, [-float("inf")]), False),
        # Deeper than Python recurses: walked without recursion.
        ((deep_list(100_000, 1.0),), True),
        ((deep_list(100_000, float("nan")),), False),
    ],
)
def test_all_finite(values: tuple[Any, ...], finite: bool) -> None:
    assert all_finite(*values) is finite


def test_nesting_depth_stops_past_the_limit() -> None:
    assert nesting_depth(1, "x", limit=5) == 0
    assert nesting_depth({"a": [1]}, [], limit=5) == 2
    assert nesting_depth(deep_list(5, 1), limit=5) == 5
    assert nesting_depth(deep_list(100_000, 1), limit=5) == 6


async def test_no_schema_accepts_and_a_false_schema_refuses() -> None:
    kind = SchemaKind.INSTANCE
    assert await jsonschema_errors(None, {"any": 1}, workflow="w", kind=kind) == []
    await raise_if_invalid(None, {"any": 1}, workflow="w", kind=kind)
    assert await jsonschema_errors(True, {"any": 1}, workflow="w", kind=kind) == []
    with pytest.raises(InvalidData) as refused:
        await raise_if_invalid(False, {"any": 1}, workflow="w", kind=kind)
    [error] = refused.value.extra["jsonschema_errors"]
    assert error.startswith("False schema does not allow {'any': 1}")
    _, errors = await extend_and_validate(False, {}, workflow="w", kind=SchemaKind.CONFIG)
    assert len(errors) == 1
    assert errors[0].startswith("False schema does not allow {}")


@pytest.mark.parametrize(
    "schema",
    [{"type": 5}, {"required": 5}, {"$ref": "#/definitions/missing"}, "text"],
)
async def test_a_schema_that_is_none_is_a_400(schema: Any) -> None:
    with pytest.raises(InvalidData) as refused:
        await raise_if_invalid(schema, {}, workflow="dag", kind=SchemaKind.SOLUTION)
    assert refused.value.message == "The solution schema of the DAG dag is not a valid JSON schema"
    with pytest.raises(InvalidData) as refused:
        await extend_and_validate(schema, {}, workflow="dag", kind=SchemaKind.CONFIG)
    assert refused.value.message == "The config schema of the DAG dag is not a valid JSON schema"


async def test_defaults_fill_a_copy() -> None:
    schema = {"type": "object", "properties": {"timeLimit": {"type": "number", "default": 60}}}
    sent = {"solver": "x"}
    extended, errors = await extend_and_validate(schema, sent, workflow="w", kind=SchemaKind.CONFIG)
    assert (extended, errors) == ({"solver": "x", "timeLimit": 60}, [])
    assert sent == {"solver": "x"}


async def test_a_schema_read_again_validates_the_same_and_a_changed_one_anew() -> None:
    def stored(minimum: int) -> dict[str, Any]:
        # A fresh object each time, as rows read for every request are.
        return {"type": "object", "properties": {"n": {"type": "integer", "minimum": minimum}}}

    kind = SchemaKind.INSTANCE
    first = await jsonschema_errors(stored(0), {"n": -1}, workflow="w", kind=kind)
    again = await jsonschema_errors(stored(0), {"n": -1}, workflow="w", kind=kind)
    changed = await jsonschema_errors(stored(-5), {"n": -1}, workflow="w", kind=kind)
    assert first == again
    assert [error.splitlines()[0] for error in first] == ["-1 is less than the minimum of 0"]
    assert changed == []
    # Defaults come from the schema's own validator, not from another schema's kept one.
    extended, _ = await extend_and_validate(
        {"type": "object", "properties": {"n": {"default": 3}}}, {}, workflow="w", kind=kind
    )
    assert extended == {"n": 3}
