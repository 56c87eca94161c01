"""Seed the permission tables the way Flask's `access_init` does, down to the row ids.

Both servers share these tables, and `cornflow permissions init` from either one must leave
them identical: same actions and roles, same `api_view` ids, same `permission_view` ids.
Functions here only flush; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cornflow_fastapi.access.catalog import (
    ACTION_NAMES,
    BASE_GRANTS,
    EXTRA_GRANTS,
    ROLE_NAMES,
    View,
    exposed_views,
)
from cornflow_fastapi.config import CornflowSettings
from cornflow_fastapi.models import Action, ApiView, PermissionView, Role


class Grant(NamedTuple):
    role_id: int
    action_id: int
    api_view_id: int


class MissingViewsError(LookupError):
    """Permissions were synced before the views they grant access to were registered."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__(
            "views missing from api_view (run `cornflow views init` first): " + ", ".join(names)
        )


@dataclass(frozen=True)
class ViewChanges:
    inserted: list[str]
    updated: list[str]
    deleted: list[str]


@dataclass(frozen=True)
class PermissionChanges:
    inserted: list[Grant]
    deleted: list[Grant]
    restored: list[Grant]


@dataclass(frozen=True)
class AccessChanges:
    actions: list[str]
    roles: list[str]
    views: ViewChanges
    permissions: PermissionChanges


async def _align_sequence(session: AsyncSession, table: str) -> None:
    """Point a PostgreSQL id sequence at the table's largest id, as Flask does after each step.

    Rows inserted with explicit ids leave the sequence behind, and Flask's fix-up also rewinds
    it after deletions, which decides the ids of the next rows either server inserts.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    # setval refuses 0 (a sequence starts at 1): a table holding only the dummy role, id 0,
    # keeps its sequence where it is.
    await session.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id))"  # noqa: S608
            f" FROM {table} HAVING MAX(id) > 0"
        )
    )


async def insert_missing_actions(session: AsyncSession) -> list[str]:
    """Insert the five actions (ids 1..5) whose names are not there yet; their names."""
    present = set((await session.scalars(select(Action.name))).all())
    missing = [
        Action(id=int(action_id), name=name)
        for action_id, name in ACTION_NAMES.items()
        if name not in present
    ]
    session.add_all(missing)
    await session.flush()
    await _align_sequence(session, Action.__tablename__)
    return [action.name for action in missing]


async def insert_missing_roles(session: AsyncSession) -> list[str]:
    """Insert the default roles (ids 0..4) whose ids are not taken; their names."""
    present = set((await session.scalars(select(Role.id))).all())
    missing = [
        Role(id=int(role_id), name=name)
        for role_id, name in sorted(ROLE_NAMES.items())
        if role_id not in present
    ]
    session.add_all(missing)
    await session.flush()
    await _align_sequence(session, Role.__tablename__)
    return [role.name for role in missing]


async def sync_views(session: AsyncSession, views: Sequence[View]) -> ViewChanges:
    """Make `api_view` hold exactly these views, matched by name.

    New views are inserted first, in catalogue order (that order numbers them), then changed
    url rules and descriptions are updated, then views outside the catalogue are deleted with
    every permission row that points at them.
    """
    in_database = await session.scalars(select(ApiView).order_by(ApiView.id))
    rows = {row.name: row for row in in_database.all()}
    wanted = {view.name: view for view in views}

    inserted = [
        ApiView(name=view.name, url_rule=view.url_rule, description=view.description)
        for view in views
        if view.name not in rows
    ]
    # The unit of work inserts a batch in the order it was added, and matches returned ids
    # back to rows by that order, so the ids follow catalogue order on both backends.
    session.add_all(inserted)
    await session.flush()

    updated: list[str] = []
    for name, row in rows.items():
        view = wanted.get(name)
        if view is not None and (row.url_rule, row.description) != (
            view.url_rule,
            view.description,
        ):
            row.url_rule = view.url_rule
            row.description = view.description
            updated.append(name)
    await session.flush()

    stale = [row for name, row in rows.items() if name not in wanted]
    if stale:
        stale_ids = [row.id for row in stale]
        await session.execute(
            delete(PermissionView).where(PermissionView.api_view_id.in_(stale_ids))
        )
        for row in stale:
            await session.delete(row)
        await session.flush()

    await _align_sequence(session, ApiView.__tablename__)
    return ViewChanges(
        inserted=[row.name for row in inserted],
        updated=updated,
        deleted=[row.name for row in stale],
    )


def default_grants(views: Sequence[View], view_ids: dict[str, int]) -> set[Grant]:
    """The default grants on these views, as Flask computes them, given the views' ids.

    Flask collects the grants in a Python set and inserts the missing ones in the set's
    iteration order, so new rows are numbered in that order. Building the same set with the
    same insertions reproduces it: tuples of ints hash to fixed values (no hash seed involved)
    and the set's layout depends only on those hashes and the insertion sequence.
    """
    missing = [view.name for view in views if view.name not in view_ids]
    if missing:
        raise MissingViewsError(missing)
    grants: set[Grant] = set()
    for role, action in BASE_GRANTS:
        for view in views:
            if role in view.roles:
                grants.add(Grant(int(role), int(action), view_ids[view.name]))
    for role, action, name in EXTRA_GRANTS:
        # Flask checks extras against the views in the database, not the catalogue.
        if name in view_ids:
            grants.add(Grant(int(role), int(action), view_ids[name]))
    return grants


async def sync_permissions(session: AsyncSession, views: Sequence[View]) -> PermissionChanges:
    """Make `permission_view` hold exactly the default grants on these views.

    Every other row goes, grants made through `POST /permission/` included, as Flask's
    `cornflow permissions base` does. A soft-deleted row whose grant belongs to the set is
    restored (Flask would fail on the unique constraint trying to insert it again).
    """
    view_ids: dict[str, int] = dict((await session.execute(select(ApiView.name, ApiView.id))).all())
    wanted = default_grants(views, view_ids)
    rows = {
        Grant(row.role_id, row.action_id, row.api_view_id): row
        for row in (await session.scalars(select(PermissionView).order_by(PermissionView.id))).all()
    }

    inserted = [grant for grant in wanted if grant not in rows]
    session.add_all([PermissionView(**grant._asdict()) for grant in inserted])
    await session.flush()

    restored = [
        grant for grant, row in rows.items() if grant in wanted and row.deleted_at is not None
    ]
    for grant in restored:
        rows[grant].deleted_at = None

    deleted = [grant for grant in rows if grant not in wanted]
    if deleted:
        await session.execute(
            delete(PermissionView).where(
                PermissionView.id.in_([rows[grant].id for grant in deleted])
            )
        )
    await session.flush()

    await _align_sequence(session, PermissionView.__tablename__)
    return PermissionChanges(inserted=inserted, deleted=deleted, restored=restored)


async def init_access(session: AsyncSession, settings: CornflowSettings) -> AccessChanges:
    """Flask's `access_init`: actions, roles, the views these settings expose, their grants."""
    views = exposed_views(settings)
    actions = await insert_missing_actions(session)
    roles = await insert_missing_roles(session)
    view_changes = await sync_views(session, views)
    permission_changes = await sync_permissions(session, views)
    return AccessChanges(
        actions=actions, roles=roles, views=view_changes, permissions=permission_changes
    )
