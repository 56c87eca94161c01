"""Alembic environment of Cornflow's schema (the Flask server's revision chain)."""

from cornflow_fastapi.models import metadata
from svckit.migrations import run_env

run_env(metadata)
