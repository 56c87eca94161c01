"""The JSON files shipped inside the package: schemas and example data."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any


def load_json(folder: str, name: str) -> Any:
    return json.loads(files("cornflow_knapsack").joinpath(folder, f"{name}.json").read_text())


def load_schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = load_json("schemas", name)
    return loaded
