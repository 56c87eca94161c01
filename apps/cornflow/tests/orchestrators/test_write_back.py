"""Write-back (`writeback.results`): the semantics of Cornflow's `PUT /dag/...` endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from orchestrators.runner_support import (
    NULL_HASH,
    create_execution,
    create_instance,
    read,
)

from cornflow_fastapi.apps.discovery import InstalledApp
from cornflow_fastapi.errors import InvalidData, ObjectDoesNotExist
from cornflow_fastapi.models import Case, Execution, Instance
from cornflow_fastapi.writeback import results
from svckit.db import Database

SOLUTION = {"done": True, "value": 2.5}


async def scripted_execution(database: Database, user_id: int, **fields: Any) -> Execution:
    instance = await create_instance(database, user_id=user_id, data={}, schema="scripted")
    return await create_execution(database, instance, **fields)


async def write(database: Database, execution_id: str, **fields: Any) -> Execution:
    async with database.sessionmaker() as session, session.begin():
        return await results.save_execution_results(session, execution_id, **fields)


@pytest.fixture(autouse=True)
def _apps(registered_apps: dict[str, InstalledApp]) -> None:
    """The write-back validates against the registered solution schemas."""


async def test_a_full_write_stores_every_field_and_keeps_hash_and_owner(
    runner_db: Database, planner_id: int
) -> None:
    execution = await scripted_execution(runner_db, planner_id)

    await write(
        runner_db,
        execution.id,
        data=SOLUTION,
        log_text="log",
        log_json={"status": "Optimal", "status_code": 1, "sol_code": 1, "time": 1, "x": 1},
        checks={"c": []},
        kpis={"k": 1},
    )

    stored = await read(runner_db, execution.id)
    assert (stored.state, stored.state_message) == (1, "The execution has been solved correctly.")
    assert stored.data == SOLUTION
    assert stored.log_text == "log"
    # LogSchema: unknown keys dropped, Float fields made floats, Cornflow's field order.
    assert stored.log_json == {"status": "Optimal", "status_code": 1, "sol_code": 1, "time": 1.0}
    assert list(stored.log_json) == ["status", "status_code", "sol_code", "time"]
    assert (stored.checks, stored.kpis) == ({"c": []}, {"k": 1})
    assert stored.data_hash == NULL_HASH
    assert stored.user_id == planner_id


async def test_state_defaults_to_solved_even_for_a_log_only_write(
    runner_db: Database, planner_id: int
) -> None:
    execution = await scripted_execution(runner_db, planner_id)

    await write(runner_db, execution.id, log_text="only a log")

    stored = await read(runner_db, execution.id)
    assert (stored.state, stored.log_text, stored.data) == (1, "only a log", None)


async def test_new_data_clears_checks_and_kpis_and_outdates_files(
    runner_db: Database, planner_id: int
) -> None:
    execution = await scripted_execution(runner_db, planner_id)
    await write(runner_db, execution.id, data=SOLUTION, checks={"old": [1]}, kpis={"old": 1})
    async with runner_db.sessionmaker() as session, session.begin():
        row = await session.get(Execution, execution.id)
        assert row is not None
        row.execution_files_status = 1

    await write(runner_db, execution.id, data={"done": False}, kpis={"new": 2})

    stored = await read(runner_db, execution.id)
    assert (stored.data, stored.checks, stored.kpis) == ({"done": False}, None, {"new": 2})
    assert stored.execution_files_status == -3


async def test_writes_without_data_leave_checks_alone(runner_db: Database, planner_id: int) -> None:
    execution = await scripted_execution(runner_db, planner_id)
    await write(runner_db, execution.id, data=SOLUTION, checks={"c": [1]})

    await write(runner_db, execution.id, state=-1, kpis=None)

    stored = await read(runner_db, execution.id)
    assert (stored.state, stored.data, stored.checks, stored.kpis) == (
        -1,
        SOLUTION,
        {"c": [1]},
        None,
    )
    assert stored.state_message == "The execution has found an error."


async def test_data_failing_the_solution_schema_is_refused_and_nothing_changes(
    runner_db: Database, planner_id: int
) -> None:
    execution = await scripted_execution(runner_db, planner_id)

    with pytest.raises(InvalidData) as refused:
        await write(runner_db, execution.id, data={"value": 1}, log_text="kept out")

    assert refused.value.message == "The data sent is not valid"
    assert refused.value.extra["jsonschema_errors"][0].startswith("'done' is a required property")
    stored = await read(runner_db, execution.id)
    assert (stored.state, stored.log_text, stored.data) == (-4, None, None)


async def test_pulp_schema_is_validated_as_solve_model_dag(
    runner_db: Database, planner_id: int
) -> None:
    instance = await create_instance(runner_db, user_id=planner_id, data={}, schema="pulp")
    execution = await create_execution(runner_db, instance)

    with pytest.raises(InvalidData) as refused:
        await write(runner_db, execution.id, data={"a": 1})

    assert "'constraints' is a required property" in refused.value.extra["jsonschema_errors"][0]


async def test_unknown_execution_state_and_log(runner_db: Database, planner_id: int) -> None:
    execution = await scripted_execution(runner_db, planner_id)
    with pytest.raises(ObjectDoesNotExist, match=r"The execution does not exist\."):
        await write(runner_db, "f" * 40, data=SOLUTION)
    with pytest.raises(InvalidData):
        await write(runner_db, execution.id, state=7)
    with pytest.raises(results.InvalidLog) as bad_log:
        await write(runner_db, execution.id, log_json={"time": "soon", "matrix": {"x": 1}})
    assert bad_log.value.messages == {
        "time": ["Not a valid number."],
        "matrix": {"x": ["Unknown field."]},
    }


async def test_instance_and_case_checks(runner_db: Database, planner_id: int) -> None:
    instance = await create_instance(runner_db, user_id=planner_id, data={}, schema="scripted")
    async with runner_db.sessionmaker() as session, session.begin():
        case = Case(
            name="case", path="", user_id=planner_id, data={}, data_hash=NULL_HASH,
            solution=None, solution_hash=NULL_HASH, schema="scripted",
        )  # fmt: skip
        session.add(case)
        await session.flush()
        case_id = case.id

    async with runner_db.sessionmaker() as session, session.begin():
        await results.save_instance_checks(session, instance.id, checks={"i": [1]})
        await results.save_case_checks(
            session, case_id, checks={"i": [1]}, solution_checks={"s": []}, kpis={"k": 2}
        )
        with pytest.raises(ObjectDoesNotExist):
            await results.save_instance_checks(session, "0" * 40, checks={})

    async with runner_db.sessionmaker() as session:
        stored_instance = await session.get(Instance, instance.id)
        stored_case = await session.get(Case, case_id)
        assert stored_instance is not None
        assert stored_case is not None
        assert stored_instance.checks == {"i": [1]}
        assert stored_instance.data_hash == instance.data_hash
        assert (stored_case.checks, stored_case.solution_checks, stored_case.kpis) == (
            {"i": [1]},
            {"s": []},
            {"k": 2},
        )
