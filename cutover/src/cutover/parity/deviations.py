"""The deliberate differences listed in apps/cornflow/DEVIATIONS.md, read as data.

Any Markdown table of that file with a "parity step" column takes part: the column holds the
scenario steps a row explains, as backticked ids (`scenario/step`, shell-style wildcards
allowed: `users/huge.*`); a dash or an empty cell names none. The row's "why" column (else its
last column) is the reason the report quotes.

An id may end with qualifiers that narrow what it explains:
  `:order`     only a difference in the order of list items (the same items on both sides)
  `@postgres`  only on that database (`@sqlite` likewise)
as in `*:order@postgres`: on PostgreSQL, any step whose lists differ only in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from cutover.reference import ROOT

DEVIATIONS_FILE = ROOT / "apps" / "cornflow" / "DEVIATIONS.md"
STEP_COLUMN = "parity step"
_CODE = re.compile(r"`([^`]+)`")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class StepPattern:
    pattern: str
    only_order: bool = False
    database: str | None = None

    @classmethod
    def parse(cls, text: str) -> StepPattern:
        pattern, _, database = text.partition("@")
        pattern, _, qualifier = pattern.partition(":")
        if qualifier not in ("", "order"):
            raise ValueError(f"unknown qualifier :{qualifier} in `{text}` (known: :order)")
        if database not in ("", "postgres", "sqlite"):
            raise ValueError(f"unknown database @{database} in `{text}` (postgres or sqlite)")
        return cls(pattern, qualifier == "order", database or None)

    def explains(self, step_id: str, *, only_order: bool, database: str) -> bool:
        if self.only_order and not only_order:
            return False
        if self.database is not None and self.database != database:
            return False
        return fnmatchcase(step_id, self.pattern)


@dataclass(frozen=True)
class Deviation:
    section: str
    what: str
    why: str
    steps: tuple[str, ...]

    def patterns(self) -> list[StepPattern]:
        return [StepPattern.parse(text) for text in self.steps]

    def explains(self, step_id: str, *, only_order: bool = False, database: str = "") -> bool:
        return any(
            pattern.explains(step_id, only_order=only_order, database=database)
            for pattern in self.patterns()
        )

    def as_dict(self) -> dict[str, object]:
        return {"section": self.section, "what": self.what, "why": self.why, "steps": self.steps}


def _cells(line: str) -> list[str]:
    return [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(line.strip().strip("|"))]


def parse_deviations(text: str) -> list[Deviation]:
    deviations: list[Deviation] = []
    section = ""
    header: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            section, header = stripped.lstrip("#").strip(), None
            continue
        if not stripped.startswith("|"):
            header = None
            continue
        cells = _cells(stripped)
        if header is None:
            header = [cell.lower() for cell in cells]
            continue
        if all(set(cell) <= set("-: ") for cell in cells):
            continue  # the separator row
        if STEP_COLUMN not in header:
            continue
        row = dict(zip(header, cells, strict=False))
        steps = tuple(_CODE.findall(row.get(STEP_COLUMN, "")))
        why = row.get("why") or cells[-1]
        deviations.append(Deviation(section=section, what=cells[0], why=why, steps=steps))
    return deviations


def load_deviations(path: Path = DEVIATIONS_FILE) -> list[Deviation]:
    deviations = parse_deviations(path.read_text(encoding="utf-8"))
    for deviation in deviations:
        deviation.patterns()  # refuses a malformed qualifier now, not mid-run
    return deviations


def explaining(
    deviations: list[Deviation], step_id: str, *, only_order: bool = False, database: str = ""
) -> Deviation | None:
    return next(
        (
            deviation
            for deviation in deviations
            if deviation.explains(step_id, only_order=only_order, database=database)
        ),
        None,
    )
