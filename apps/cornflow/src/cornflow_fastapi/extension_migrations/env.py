"""Alembic environment of our own tables (version table `alembic_version_fastapi`)."""

from cornflow_fastapi.models.local_runner import metadata
from svckit.migrations import run_env

run_env(metadata)
