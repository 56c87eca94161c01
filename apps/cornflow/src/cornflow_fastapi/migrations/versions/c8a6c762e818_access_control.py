"""Role-based access control: actions, API views, roles and their permissions.

Revision ID: c8a6c762e818
Revises: c2db9409cb5f
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "c8a6c762e818"
down_revision = "c2db9409cb5f"
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
        "actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
    )
    op.create_table(
        "api_view",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("url_rule", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
    )
    op.create_table(
        "roles",
        *trace_columns(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
    )
    op.create_table(
        "permission_view",
        *trace_columns(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("actions.id"), nullable=False),
        sa.Column("api_view_id", sa.Integer(), sa.ForeignKey("api_view.id"), nullable=False),
        sa.Column("role_id", sa.Integer(), sa.ForeignKey("roles.id"), nullable=False),
        sa.UniqueConstraint("action_id", "api_view_id", "role_id"),
    )
    op.create_table(
        "user_role",
        *trace_columns(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role_id", sa.Integer(), sa.ForeignKey("roles.id"), nullable=False),
    )
    op.add_column("users", sa.Column("last_name", sa.String(128), nullable=True))
    op.add_column("users", sa.Column("username", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("username")
        batch_op.drop_column("last_name")
    op.drop_table("user_role")
    op.drop_table("permission_view")
    op.drop_table("roles")
    op.drop_table("api_view")
    op.drop_table("actions")
