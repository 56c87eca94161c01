"""`cornflow migrations upgrade|downgrade|current`, with the Flask CLI's names and defaults.

`upgrade` (to head) also applies the chain of our own tables (`extension_schema`), which
`cornflow migrations extensions ...` manages on its own.
"""

from typing import Annotated

import typer

from cornflow_fastapi import extension_schema, schema_migrations
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
app.registered_commands = [
    command for command in app.registered_commands if command.name != "upgrade"
]


@app.command("upgrade", help="Apply migrations")
def upgrade_command(
    revision: Annotated[
        str, typer.Option("-r", "--revision", help="The revision to upgrade to")
    ] = "head",
) -> None:
    url = _database_url()
    schema_migrations.upgrade(url, revision)
    if revision == "head":
        extension_schema.upgrade(url)


# Revisions of our own chain are written by hand (autogenerate would see Cornflow's tables).
app.add_typer(
    migrations_cli(
        script_location=extension_schema.SCRIPT_LOCATION,
        version_table=extension_schema.VERSION_TABLE,
        database_url=_database_url,
        authoring=False,
        help_text="Migrations of this server's own tables (version table "
        f"{extension_schema.VERSION_TABLE})",
    ),
    name="extensions",
)
