"""Deployed DAGs and which users may run them.

Revision ID: f3bee20314a2
Revises: ca449af8034c
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "f3bee20314a2"
down_revision = "ca449af8034c"
branch_labels = None
depends_on = None


def trace_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "deployed_dags",
        *trace_columns(),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("description", sa.Text(), nullable=True),
    )
    op.create_table(
        "permission_dag",
        *trace_columns(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dag_id", sa.String(128), sa.ForeignKey("deployed_dags.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.UniqueConstraint("dag_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("permission_dag")
    op.drop_table("deployed_dags")
