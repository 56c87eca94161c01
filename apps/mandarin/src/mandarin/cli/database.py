"""`mandarin db upgrade|downgrade|current|revision` on the packaged migrations."""

from mandarin import schema_migrations
from mandarin.config import MandarinSettings
from svckit.migrations import migrations_cli


def _database_url() -> str:
    return MandarinSettings().database.url


app = migrations_cli(
    script_location=schema_migrations.SCRIPT_LOCATION,
    version_table=schema_migrations.VERSION_TABLE,
    database_url=_database_url,
    help_text="Database migrations",
)
