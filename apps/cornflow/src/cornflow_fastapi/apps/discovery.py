"""Finding the installed Cornflow apps (no database here: solve processes import this)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

logger = logging.getLogger("cornflow_fastapi.apps")

ENTRY_POINT_GROUP = "cornflow.apps"

# Cornflow validates the schema name "pulp" against this app's schemas.
PULP_ALIAS = "pulp"
SOLVE_MODEL_DAG = "solve_model_dag"

# What Cornflow's schema sync names an example given as an (instance, solution) tuple.
UNNAMED_EXAMPLE = "No available name for the test"


class AppLoadError(Exception):
    """An app spec that does not name an importable cornflow-client application."""


@dataclass(frozen=True)
class InstalledApp:
    """One app, with the spec another process needs to load it again."""

    name: str
    spec: str
    application: Any = field(compare=False, repr=False)

    @property
    def module(self) -> str:
        return self.spec.partition(":")[0]

    @property
    def description(self) -> str | None:
        description = self.application.description
        return None if description is None else str(description)

    def schemas(self) -> dict[str, Any]:
        """The six schemas, keyed as ApplicationCore.get_schemas() keys them."""
        schemas: dict[str, Any] = self.application.get_schemas()
        return schemas

    def examples(self) -> list[dict[str, Any]]:
        """The app's test cases as Cornflow serves examples: name, description, instance..."""
        examples: list[dict[str, Any]] = []
        for position, case in enumerate(self.application.test_cases):
            if isinstance(case, tuple):
                # The old (instance, solution) form.
                instance, solution = case[0], case[1]
                examples.append(
                    {"name": UNNAMED_EXAMPLE, "instance": instance, "solution": solution}
                )
            elif isinstance(case, Mapping) and "instance" in case:
                examples.append(dict(case))
            else:
                examples.append({"name": f"{self.name}_{position + 1}", "instance": case})
        return examples


def entry_point_specs() -> list[str]:
    """The `module:attribute` of every app installed under the `cornflow.apps` group."""
    return [entry.value for entry in entry_points(group=ENTRY_POINT_GROUP)]


def load_application(spec: str) -> Any:
    """Import spec (`module:attribute`) and return the application instance it names."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise AppLoadError(f"not a `module:attribute` app spec: {spec!r}")
    from cornflow_client import ApplicationCore

    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise AppLoadError(f"cannot load app {spec!r}: {error}") from error
    if isinstance(target, type) and issubclass(target, ApplicationCore):
        target = target()
    if not isinstance(target, ApplicationCore):
        raise AppLoadError(f"{spec!r} is not a cornflow-client ApplicationCore")
    return target


def load_apps(extra_specs: Sequence[str] = ()) -> dict[str, InstalledApp]:
    """Every app of the entry points and of extra_specs, by name; broken ones are logged."""
    apps: dict[str, InstalledApp] = {}
    for spec in dict.fromkeys([*entry_point_specs(), *extra_specs]):
        try:
            application = load_application(spec)
            name = str(application.name)
        except Exception:
            # One broken app must not keep the others (or the server) from starting.
            logger.exception("app %s could not be loaded", spec)
            continue
        if name in apps:
            logger.warning("app %s from %s ignored: %s has that name", name, spec, apps[name].spec)
            continue
        apps[name] = InstalledApp(name=name, spec=spec, application=application)
    return apps


def resolve_workflow(apps: Mapping[str, InstalledApp], workflow: str | None) -> InstalledApp | None:
    """The app solving executions of schema workflow (`pulp` is `solve_model_dag`)."""
    if workflow is None:
        return None
    if workflow == PULP_ALIAS:
        workflow = SOLVE_MODEL_DAG
    return apps.get(workflow)
