"""The codes of `executions.state`, as the Flask server writes them."""

from __future__ import annotations

from enum import IntEnum


class ExecutionState(IntEnum):
    """`executions.state`, with the Flask server's codes."""

    SOLVED = 1
    LOADED_MANUALLY = 2
    RUNNING = 0
    ERROR = -1
    STOPPED = -2
    NOT_STARTED = -3
    NOT_RUN = -4
    UNKNOWN = -5
    SAVE_FAILED = -6
    QUEUED = -7


STATE_MESSAGES = {
    ExecutionState.SOLVED: "The execution has been solved correctly.",
    ExecutionState.LOADED_MANUALLY: "The execution was loaded manually.",
    ExecutionState.RUNNING: "The execution is currently running.",
    ExecutionState.ERROR: "The execution has found an error.",
    ExecutionState.STOPPED: "The execution has stopped running.",
    ExecutionState.NOT_STARTED: "The execution couldn't start running.",
    ExecutionState.NOT_RUN: "The execution wasn't run by user choice.",
    ExecutionState.UNKNOWN: "The execution has an unknown error.",
    ExecutionState.SAVE_FAILED: "The execution executed ok but failed while saving it.",
    ExecutionState.QUEUED: "The execution is currently queued.",
}
