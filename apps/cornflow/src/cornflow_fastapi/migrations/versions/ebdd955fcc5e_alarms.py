"""Alarms and main alarms.

Revision ID: ebdd955fcc5e
Revises: 7c3ea5ab5501
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "ebdd955fcc5e"
down_revision = "7c3ea5ab5501"
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
        "alarms",
        *trace_columns(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("criticality", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("schema", sa.String(256), nullable=True),
    )
    op.create_table(
        "main_alarms",
        *trace_columns(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id_alarm", sa.Integer(), sa.ForeignKey("alarms.id"), nullable=False),
        sa.Column("criticality", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("schema", sa.String(256), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("main_alarms")
    op.drop_table("alarms")
