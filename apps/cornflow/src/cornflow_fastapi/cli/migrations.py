"""`cornflow migrations upgrade|downgrade|current`, with the Flask CLI's names and defaults."""

from cornflow_fastapi import schema_migrations
from cornflow_fastapi.config import CornflowSettings
from svckit.migrations import migrations_cli


def _database_url() -> str:
    return CornflowSettings().database_url


# No `revision` command: a revision added to this chain would be an id the Flask server does
# not know, and its `upgrade` refuses to run on such a database.
app = migrations_cli(
    script_location=schema_migrations.SCRIPT_LOCATION,
    version_table=schema_migrations.VERSION_TABLE,
    database_url=_database_url,
    authoring=False,
    help_text="Commands to manage the migrations",
)
