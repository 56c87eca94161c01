"""Tables of our own, beside Cornflow's: a second Alembic chain with its own version table.

Cornflow's chain (`schema_migrations`) must stay exactly the Flask server's, revision ids and
`alembic_version` included, or the Flask server's `upgrade` refuses the database. Whatever this
server adds lives here instead: additive tables only (never a column on, nor a foreign key to, a
Cornflow table, so the Flask server can still alter or drop its own), tracked in
`VERSION_TABLE`. `cornflow migrations upgrade` runs this chain after Cornflow's.

Revisions are written by hand: autogenerate would compare against Cornflow's tables too.
"""

from __future__ import annotations

from alembic.config import Config

from svckit import migrations

HEAD_REVISION = "ef9b48b71f3a"
SCRIPT_LOCATION = "cornflow_fastapi:extension_migrations"
VERSION_TABLE = "alembic_version_fastapi"


def config(url: str) -> Config:
    """Alembic configuration for the database at url (plain or async SQLAlchemy URL)."""
    return migrations.migration_config(SCRIPT_LOCATION, url, version_table=VERSION_TABLE)


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate our tables up to revision (blocking: call it off the event loop)."""
    migrations.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate our tables down to revision ("base" drops them all)."""
    migrations.downgrade(config(url), revision)


def current(url: str) -> str | None:
    """The revision of our chain the database is at, None when it was never applied."""
    return migrations.current(config(url))
