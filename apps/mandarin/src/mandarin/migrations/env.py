"""Alembic environment of the Mandarin database."""

from mandarin.models import metadata
from svckit.migrations import run_env

run_env(metadata)
