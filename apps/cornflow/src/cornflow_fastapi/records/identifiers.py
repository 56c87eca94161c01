"""Ids and hashes computed as the Flask server computes them (spec §8.3).

Both servers write the same tables, so a `data_hash` must not depend on which one stored the
data; ids only need to be unique 40-hex strings, but are built the same way anyway.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def data_hash(data: Any) -> str:
    """sha256 of the canonical JSON text (sorted keys, no spaces); null has a hash too."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


NULL_HASH = data_hash(None)


def _sha1(*parts: object) -> str:
    return hashlib.sha1(" ".join(str(part) for part in parts).encode()).hexdigest()  # noqa: S324


def aware_now() -> datetime:
    """The creation instant ids are built from (store it naive: `.replace(tzinfo=None)`)."""
    return datetime.now(UTC)


def new_instance_id(created_at: datetime, user_id: int) -> str:
    """sha1 of "<aware UTC creation time> <user id>", as Cornflow's InstanceModel."""
    return _sha1(created_at, user_id)


def new_execution_id(created_at: datetime, user_id: int, instance_id: str) -> str:
    """sha1 of "<aware UTC creation time> <user id> <instance id>", as Cornflow's ExecutionModel."""
    return _sha1(created_at, user_id, instance_id)
