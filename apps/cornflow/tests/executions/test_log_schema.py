"""log_json read as Cornflow's marshmallow LogSchema reads it (expected values observed on it)."""

from __future__ import annotations

from typing import Any

import pytest

from cornflow_fastapi.writeback.log_schema import LogError, load_log

REQUIRED = ["Missing data for required field."]
NULL = ["Field may not be null."]
SPECIAL = ["Special numeric values (nan or infinity) are not permitted."]


@pytest.mark.parametrize(
    ("log", "loaded"),
    [
        ({"time": "1.5", "status_code": "2", "extra": 1}, {"status_code": 2, "time": 1.5}),
        ({"nodes": 1.5}, {"nodes": 1}),
        ({"status_code": "  3 "}, {"status_code": 3}),
        ({"status_code": "1_000"}, {"status_code": 1000}),
        ({"matrix": None, "cut_info": {"a": [1]}}, {"matrix": None, "cut_info": {"a": [1]}}),
        (
            {
                "progress": {"Node": [], "Gap": ["1"]},
                "presolve": {"cols": "1", "rows": 2, "time": 3},
                "first_solution": {
                    "Node": 1,
                    "NodesLeft": None,
                    "BestInteger": None,
                    "CutsBestBound": 2,
                },
            },
            {
                "presolve": {"cols": 1, "rows": 2, "time": 3.0},
                "first_solution": {
                    "Node": 1,
                    "NodesLeft": None,
                    "BestInteger": None,
                    "CutsBestBound": 2.0,
                },
                "progress": {"Node": [], "Gap": ["1"]},
            },
        ),
    ],
)
def test_known_fields_are_kept_converted_and_in_schema_order(
    log: dict[str, Any], loaded: dict[str, Any]
) -> None:
    result = load_log(log)
    assert result == loaded
    assert list(result) == list(loaded)


@pytest.mark.parametrize(
    ("log", "messages"),
    [
        (5, {"_schema": ["Invalid input type."]}),
        ([], {"_schema": ["Invalid input type."]}),
        ({"status": 3}, {"status": ["Not a valid string."]}),
        ({"matrix": {"a": 1}}, {"matrix": {"a": ["Unknown field."]}}),
        ({"matrix": {"constraints": None}}, {"matrix": {"constraints": NULL}}),
        ({"progress": None}, {"progress": NULL}),
        ({"progress": {"Node": "x"}}, {"progress": {"Node": ["Not a valid list."]}}),
        (
            {"progress": {"Node": [None, 1, "a"], "Gap": {"a": 1}, "zz": 1}},
            {
                "progress": {
                    "Node": {0: NULL, 1: ["Not a valid string."]},
                    "Gap": ["Not a valid list."],
                    "zz": ["Unknown field."],
                }
            },
        ),
        (
            {"presolve": {}},
            {"presolve": {"cols": REQUIRED, "rows": REQUIRED, "time": REQUIRED}},
        ),
        (
            {"first_solution": {"Node": 1}},
            {
                "first_solution": dict.fromkeys(
                    ("NodesLeft", "BestInteger", "CutsBestBound"), REQUIRED
                )
            },
        ),
        (
            {"gap": True, "nodes": "1.0"},
            {
                "gap": ["Not a valid number."],
                "nodes": ["Not a valid integer."],
            },
        ),
        (
            {"status": "ok", "version": 1, "best_bound": "nan", "first_relaxed": "inf"},
            {"version": ["Not a valid string."], "best_bound": SPECIAL, "first_relaxed": SPECIAL},
        ),
        ({"nodes": float("inf")}, {"nodes": ["Number too large."]}),
        ({"gap": 10**400}, {"gap": ["Number too large."]}),
        (
            {"progress": [], "matrix": [], "presolve": "x"},
            {
                "matrix": {"_schema": ["Invalid input type."]},
                "presolve": {"_schema": ["Invalid input type."]},
                "progress": {"_schema": ["Invalid input type."]},
            },
        ),
    ],
)
def test_malformed_logs_get_marshmallow_messages(log: Any, messages: dict[Any, Any]) -> None:
    with pytest.raises(LogError) as raised:
        load_log(log)
    assert raised.value.messages == messages
    assert str(raised.value.messages) == str(messages)
