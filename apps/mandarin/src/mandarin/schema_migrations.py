"""Mandarin's schema: an Alembic chain shipped in this package, run from code."""

from __future__ import annotations

import functools

from alembic.config import Config

from svckit import migrations

SCRIPT_LOCATION = "mandarin:migrations"
# Mandarin has a database of its own, so Alembic's default table name is free to use.
VERSION_TABLE = "alembic_version"


def config(url: str) -> Config:
    """Alembic configuration for the database at url (plain or async SQLAlchemy URL)."""
    return migrations.migration_config(SCRIPT_LOCATION, url, version_table=VERSION_TABLE)


@functools.cache
def head_revision() -> str:
    """The newest revision shipped in this package."""
    head = migrations.head(config("sqlite://"))
    if head is None:
        raise RuntimeError("the packaged migrations have no head revision")
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at url up to revision (blocking: call it off the event loop)."""
    migrations.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at url down to revision ("base" empties it)."""
    migrations.downgrade(config(url), revision)


def current(url: str) -> str | None:
    """The revision the database at url is at, None when it was never migrated."""
    return migrations.current(config(url))
