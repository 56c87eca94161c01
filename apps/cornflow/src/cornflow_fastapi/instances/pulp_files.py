"""Optimisation models uploaded as MPS or LP files: which files are accepted, and reading them.

Reading is blocking (file I/O and parsing that grows with the file), so `read_model_file` is
meant to run in a worker thread. The reader itself (model_reader) is imported on the first
upload: it pulls in PuLP, HiGHS and NumPy, some 16 MiB that every server process would
otherwise carry from its start.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any, BinaryIO

MPS = "mps"
LP = "lp"
ALLOWED_EXTENSIONS = (MPS, LP)
# The Flask server prints its extension set, {"mps", "lp"}; this is one of the two orders
# that set prints in.
EXTENSION_ERROR = "Could not open file to upload. Check the extension matches {'mps', 'lp'}"


class ModelFileError(Exception):
    """The file is not a model that can be read; the message is for the client."""


def secure_filename(filename: str) -> str:
    """The name Werkzeug would save an upload under; its extension decides if it is accepted.

    ASCII letters, digits, `_`, `.` and `-` only, whitespace and path separators turned into
    `_`, no leading or trailing dots and underscores.
    """
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    for separator in (os.sep, os.path.altsep):
        if separator:
            ascii_name = ascii_name.replace(separator, " ")
    joined = "_".join(ascii_name.split())
    return re.sub(r"[^A-Za-z0-9_.-]", "", joined).strip("._")


def extension_of(filename: str | None) -> str | None:
    """The model format of an uploaded file name (`mps` or `lp`), None when not accepted."""
    safe = secure_filename(filename or "")
    if "." not in safe:
        return None
    extension = safe.rsplit(".", 1)[1].lower()
    return extension if extension in ALLOWED_EXTENSIONS else None


def read_model_file(source: BinaryIO, filename: str, *, minimize: bool) -> dict[str, Any]:
    """The PuLP model (`LpProblem.toDict()`) of an MPS or LP file; blocking.

    The objective sense is the request's (`minimize`), whatever the file says, as on the Flask
    server. Raises ModelFileError for anything that is not a readable model.
    """
    extension = extension_of(filename)
    if extension is None:
        raise ModelFileError(EXTENSION_ERROR)
    from cornflow_fastapi.instances import model_reader

    return model_reader.read(source, secure_filename(filename), extension, minimize=minimize)
