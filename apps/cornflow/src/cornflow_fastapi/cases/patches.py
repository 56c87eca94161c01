"""JSON Patch (RFC 6902) on case data, with the `jsonpatch` library the Flask server uses.

Both servers must produce the same patches from the same documents (clients store and replay
them), so the diff is jsonpatch's own `make_patch`, not a reimplementation. Patching and
diffing walk whole documents: callers run these functions in a worker thread.
"""

from __future__ import annotations

from typing import Any

import jsonpatch  # type: ignore[import-untyped]
import jsonpointer

from cornflow_fastapi.errors import InvalidPatch
from cornflow_fastapi.records.identifiers import data_hash

# What a patch that does not fit its document raises. The Flask server turns only the first
# two kinds into a 400 and answers 500 to the rest (a failed `test`, an unknown `op`, an `add`
# without `value`): all of them are a patch the client got wrong.
_PATCH_ERRORS = (
    jsonpatch.JsonPatchException,
    jsonpointer.JsonPointerException,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
)


def apply_patch(document: Any, operations: list[dict[str, Any]]) -> tuple[Any, str]:
    """The patched copy of document and its hash; InvalidPatch (400) when it does not apply."""
    try:
        patched = jsonpatch.apply_patch(document, operations)
    except _PATCH_ERRORS:
        raise InvalidPatch() from None
    return patched, data_hash(patched)


def make_patch(source: Any, target: Any) -> list[dict[str, Any]]:
    """The operations that turn source into target."""
    operations: list[dict[str, Any]] = jsonpatch.make_patch(source, target).patch
    return operations
