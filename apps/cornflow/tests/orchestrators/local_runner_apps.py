"""Apps for the local runner's tests, loaded through CORNFLOW_APPS (worker processes import
this module by name: the tests folder is on their path).

`scripted` does what its instance says: sleep, print, crash, raise, leave traces of each start
(a line per start in `trace`, its pid in `pid_file`), so a test can see what happened inside a
solve process.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from cornflow_client import (
    ApplicationCore,
    ExperimentCore,
    InstanceCore,
    SolutionCore,
    get_empty_schema,
)

SPEC = "orchestrators.local_runner_apps:ScriptedApp"


class ScriptedInstance(InstanceCore):  # type: ignore[misc]
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "behaviour": {"enum": ["ok", "raise", "segfault", "exit", "nan"]},
            "seconds": {"type": "number"},
            "trace": {"type": "string"},
            "pid_file": {"type": "string"},
        },
    }
    schema_checks = get_empty_schema()


class ScriptedSolution(SolutionCore):  # type: ignore[misc]
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"done": {"type": "boolean"}, "value": {"type": "number"}},
        "required": ["done"],
    }


class Scripted(ExperimentCore):  # type: ignore[misc]
    schema_checks = get_empty_schema()

    def solve(self, options: dict[str, Any]) -> dict[str, Any]:
        data = self.instance.data
        if data.get("trace"):
            with Path(data["trace"]).open("a") as trace:
                trace.write(f"{os.getpid()} {os.getppid()}\n")
        if data.get("pid_file"):
            Path(data["pid_file"]).write_text(str(os.getpid()))
        print("scripted solve started", flush=True)
        deadline = time.monotonic() + float(data.get("seconds", 0))
        while time.monotonic() < deadline:
            time.sleep(0.05)
        behaviour = data.get("behaviour", "ok")
        if behaviour == "raise":
            raise ValueError("the model is broken on purpose")
        if behaviour == "segfault":
            print("about to crash", flush=True)
            os.kill(os.getpid(), signal.SIGSEGV)
        if behaviour == "exit":
            os._exit(3)
        value = float("nan") if behaviour == "nan" else 1.0
        self.solution = ScriptedSolution({"done": True, "value": value})
        self.log = "scripted log\n"
        return {"status": 1, "status_sol": 2, "best_solution": 1.0, "unknown_key": "dropped"}

    def get_objective(self) -> float:
        return 1.0


class ScriptedApp(ApplicationCore):  # type: ignore[misc]
    name = "scripted"
    description = "Test app doing what its instance says"
    instance = ScriptedInstance
    solution = ScriptedSolution
    schema = get_empty_schema(solvers=["default"])
    solvers = {"default": Scripted}
    test_cases: list[dict[str, Any]] = []
