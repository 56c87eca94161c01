"""Deployed workflows carry a KPIs schema; executions may run only checks and KPIs.

Revision ID: 9cacf194fa1c
Revises: 509d280698e4
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "9cacf194fa1c"
down_revision = "509d280698e4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deployed_workflows", sa.Column("kpis_schema", sa.JSON(), nullable=True))
    op.add_column("executions", sa.Column("checks_and_kpis_only", sa.Boolean(), nullable=True))


def downgrade() -> None:
    # SQLite files the Flask server migrated carry unnamed CHECK constraints on the boolean
    # columns; the rebuild leaves them out with a warning (our own files have none here).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unnamed CHECK constraint", UserWarning)
        with op.batch_alter_table("executions") as batch_op:
            batch_op.drop_column("checks_and_kpis_only")
    with op.batch_alter_table("deployed_workflows") as batch_op:
        batch_op.drop_column("kpis_schema")
