"""The local runner's own table, outside Cornflow's schema (see `extension_schema`).

It has its own metadata and migrations (`extension_migrations`, version table
`alembic_version_fastapi`), so Flask's migrations never see it.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

# Apart from Cornflow's metadata, so its migrations and model checks never see this table.
metadata = MetaData()

# One row per execution a local worker has taken: who holds it (NULL: released, waiting to be
# taken again), since when, when it last reported, and how many times it was started.
run_claims = Table(
    "local_run_claims",
    metadata,
    Column("execution_id", String(256), nullable=False),
    Column("run_id", String(256), nullable=False),
    Column("worker_id", String(128), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_at", DateTime, nullable=True),
    Column("heartbeat_at", DateTime, nullable=True),
    PrimaryKeyConstraint("execution_id", name="pk_local_run_claims"),
    Index("ix_local_run_claims_worker_id", "worker_id"),
)
