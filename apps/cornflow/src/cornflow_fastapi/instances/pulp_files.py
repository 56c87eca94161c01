"""Optimisation models uploaded as MPS or LP files: which file names are accepted.

Reading them is model_reader's work; it pulls in PuLP, HiGHS and NumPy, so this module stays
apart from it for the checks made before anything is read.
"""

from __future__ import annotations

import os
import re
import unicodedata

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
