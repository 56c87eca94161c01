"""Where execution files live: one zip archive per execution, `<execution id>.zip`.

File names come from execution ids read from the database, never from the request, and an id
that is not a plain file name is refused, so nothing is ever read or written outside the
configured folder. All file-system work is blocking and runs on worker threads.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio

ARCHIVE_SUFFIX = ".zip"
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Uploads are written under this prefix, then renamed: a cleanup never touches one in flight.
_PARTIAL_PREFIX = ".upload-"


class UnsafeIdentifier(ValueError):
    """An execution id that cannot name a file in the folder."""


@dataclass(frozen=True)
class FileStore:
    folder: Path

    @classmethod
    def at(cls, folder: str) -> FileStore:
        return cls(Path(folder).absolute())

    def archive_of(self, execution_id: str) -> Path:
        if not _PLAIN_ID.fullmatch(execution_id):
            raise UnsafeIdentifier(execution_id)
        return self.folder / f"{execution_id}{ARCHIVE_SUFFIX}"

    async def exists(self, execution_id: str) -> bool:
        path = self.archive_of(execution_id)
        return await anyio.to_thread.run_sync(path.is_file)

    async def save(self, execution_id: str, source: IO[bytes]) -> None:
        """Copy source into the execution's archive; readers see the old file or the new one."""
        await anyio.to_thread.run_sync(self._save, self.archive_of(execution_id), source)

    def _save(self, target: Path, source: IO[bytes]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        source.seek(0)
        handle, temporary = tempfile.mkstemp(
            dir=self.folder, prefix=_PARTIAL_PREFIX, suffix=".part"
        )
        try:
            with os.fdopen(handle, "wb") as output:
                shutil.copyfileobj(source, output)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def entries(self) -> list[str] | None:
        """The names of the regular files in the folder; None when there is no folder."""
        return await anyio.to_thread.run_sync(self._entries)

    def _entries(self) -> list[str] | None:
        if not self.folder.is_dir():
            return None
        with os.scandir(self.folder) as scan:
            return sorted(
                entry.name
                for entry in scan
                if entry.is_file() and not entry.name.startswith(_PARTIAL_PREFIX)
            )

    async def remove(self, name: str) -> bool:
        """Delete one entry listed by entries(); False when it could not be deleted."""
        return await anyio.to_thread.run_sync(self._remove, name)

    def _remove(self, name: str) -> bool:
        if os.sep in name or name in ("", ".", ".."):
            return False
        try:
            (self.folder / name).unlink()
        except OSError:
            return False
        return True


def is_zip_archive(filename: str | None, source: IO[bytes]) -> bool:
    """A `.zip` name and zip content (blocking: reads the end of the file)."""
    if not filename or not filename.lower().endswith(ARCHIVE_SUFFIX):
        return False
    try:
        return zipfile.is_zipfile(source)
    finally:
        source.seek(0)


def execution_id_of(name: str) -> str:
    """The execution an entry belongs to, read as the Flask server reads it (".zip" removed)."""
    return name.replace(ARCHIVE_SUFFIX, "")
