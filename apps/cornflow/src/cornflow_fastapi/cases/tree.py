"""The case tree as Cornflow stores it: materialised paths (spec §8.3).

A case's `path` lists its ancestors' ids, each followed by "/" ("" at the root, "1/4/" under
case 4 under case 1). A case's descendants are the rows whose path starts with its own path
plus its id and "/", whoever owns them: the Flask server moves and deletes them with the case.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, func, literal, update
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.errors import InvalidData
from cornflow_fastapi.models import Case

SEPARATOR = "/"
ROOT = ""

NOT_A_DIRECTORY = "Parent cannot be a case"
MOVE_INTO_ITSELF = "A case cannot be moved into itself or into one of its descendants"


def children_path(parent: Case | None) -> str:
    """The path of a case placed directly under parent (None: the root)."""
    if parent is None:
        return ROOT
    return f"{parent.path}{parent.id}{SEPARATOR}"


def is_directory(case: Case) -> bool:
    """Directories are the cases without data (`is_dir`); only they hold other cases."""
    return case.data is None


def check_parent(parent: Case) -> None:
    if not is_directory(parent):
        raise InvalidData(NOT_A_DIRECTORY)


def check_move(case: Case, parent: Case | None) -> None:
    """Refuse moves that would break the tree: into a case with data, into itself or below."""
    if parent is None:
        return
    if parent.id == case.id or parent.path.startswith(children_path(case)):
        raise InvalidData(MOVE_INTO_ITSELF)
    check_parent(parent)


def _descendants_of(case: Case) -> ColumnElement[bool]:
    # Paths hold only digits and "/", so the prefix needs no LIKE escaping.
    return Case.path.like(f"{children_path(case)}%")


async def move(session: AsyncSession, case: Case, parent: Case | None) -> None:
    """Put case under parent (None: the root), re-pathing every descendant in one statement."""
    old_prefix = case.path
    new_prefix = children_path(parent)
    await session.execute(
        update(Case)
        .where(_descendants_of(case))
        .values(
            path=literal(new_prefix) + func.substr(Case.path, len(old_prefix) + 1),
            # Descendants only change place; the Flask server leaves their updated_at alone.
            updated_at=Case.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    case.path = new_prefix


async def delete_with_descendants(session: AsyncSession, case: Case) -> None:
    await session.execute(
        delete(Case).where(_descendants_of(case)).execution_options(synchronize_session=False)
    )
    await session.delete(case)
