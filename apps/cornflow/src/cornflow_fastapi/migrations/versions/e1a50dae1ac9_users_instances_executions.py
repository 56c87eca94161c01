"""Users, instances and executions.

Revision ID: e1a50dae1ac9
Revises:
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "e1a50dae1ac9"
down_revision = None
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
        "users",
        *trace_columns(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("email", sa.String(128), nullable=False, unique=True),
        sa.Column("password", sa.String(128), nullable=True),
        sa.Column("admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("super_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "instances",
        *trace_columns(),
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    )
    op.create_table(
        "executions",
        *trace_columns(),
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("instance_id", sa.String(256), sa.ForeignKey("instances.id"), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("dag_run_id", sa.String(256), nullable=True),
        sa.Column("execution_results", sa.JSON(), nullable=True),
        sa.Column("log_text", sa.Text(), nullable=True),
        sa.Column("log_json", sa.JSON(), nullable=True),
        sa.Column("finished", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("executions")
    op.drop_table("instances")
    op.drop_table("users")
