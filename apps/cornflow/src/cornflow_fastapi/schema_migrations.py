"""Cornflow's schema: an Alembic chain with the Flask server's revisions, shipped in this package.

Both servers keep their revision in the same `alembic_version` table and each revision here has
the id and the effect of the Flask server's, so a database migrated by either one is at a revision
the other knows. Nothing else may ever be stamped there.
"""

from __future__ import annotations

from alembic.config import Config

from svckit import migrations

HEAD_REVISION = "4729cd156460"
SCRIPT_LOCATION = "cornflow_fastapi:migrations"
VERSION_TABLE = "alembic_version"


def config(url: str) -> Config:
    """Alembic configuration for the database at url (plain or async SQLAlchemy URL)."""
    return migrations.migration_config(SCRIPT_LOCATION, url, version_table=VERSION_TABLE)


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at url up to revision (blocking: call it off the event loop)."""
    migrations.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at url down to revision ("base" empties it)."""
    migrations.downgrade(config(url), revision)


def current(url: str) -> str | None:
    """The revision the database at url is at, None when it was never migrated."""
    return migrations.current(config(url))
