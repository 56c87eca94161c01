"""The licence summary of the installed Python distributions, as Cornflow's /licences/ lists it.

Reading every distribution's metadata takes a while and the installed set does not change while
the process runs, so the summary is built once, off the event loop, and kept.
"""

from __future__ import annotations

import importlib.metadata as metadata
import threading
from collections.abc import Callable
from email.message import Message
from typing import Any, cast

import anyio
from pydantic import BaseModel, ConfigDict, Field

# Metadata field read for each key of a row, in the order the rows show them.
FIELDS = (
    ("library", "Name"),
    ("license", "License"),
    ("version", "Version"),
    ("author", "Author"),
    ("description", "Summary"),
    ("home_page", "Home-page"),
)


class LicenceSummary(BaseModel):
    """One distribution; a field its metadata lacks reads `(<Field> not found)`."""

    model_config = ConfigDict(populate_by_name=True)

    library: str
    license: str
    version: str
    author: str
    description: str
    home_page: str = Field(alias="home page")


def summary_of(fields: dict[str, Any]) -> LicenceSummary:
    values = {
        key: str(fields[name]) if name in fields else f"({name} not found)" for key, name in FIELDS
    }
    return LicenceSummary.model_validate(values)


def read_summaries() -> list[LicenceSummary]:
    """Every installed distribution, sorted by name without regard to case (blocking)."""
    rows: list[tuple[str, LicenceSummary]] = []
    for distribution in metadata.distributions():
        # A repeated field keeps its last value, as a dict built from the items does.
        fields = dict(cast("Message", distribution.metadata).items())
        name = fields.get("Name")
        rows.append((str(name).lower() if name is not None else "", summary_of(fields)))
    rows.sort(key=lambda row: row[0])
    return [summary for _, summary in rows]


class LicenceCache:
    """The summary, read once per process on a worker thread.

    The lock is a thread lock taken on the worker thread: concurrent first requests wait there
    for the one reading, without holding the event loop (or tying the cache to one loop).
    """

    def __init__(self, reader: Callable[[], list[LicenceSummary]] = read_summaries) -> None:
        self._reader = reader
        self._rows: list[LicenceSummary] | None = None
        self._lock = threading.Lock()

    def _read_once(self) -> list[LicenceSummary]:
        with self._lock:
            if self._rows is None:
                self._rows = self._reader()
            return self._rows

    async def get(self) -> list[LicenceSummary]:
        rows = self._rows
        if rows is None:
            rows = await anyio.to_thread.run_sync(self._read_once)
        return rows


licences = LicenceCache()
