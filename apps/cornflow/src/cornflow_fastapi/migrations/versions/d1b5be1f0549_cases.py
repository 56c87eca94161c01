"""Cases: a tree of saved instances and solutions, addressed by a materialised path.

Revision ID: d1b5be1f0549
Revises: 1af47a419bbd
"""

import sqlalchemy as sa
from alembic import op

revision = "d1b5be1f0549"
down_revision = "1af47a419bbd"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("data_hash", sa.String(256), nullable=False),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    )
    op.create_index("ix_cases_path", "cases", ["path"])


def downgrade() -> None:
    op.drop_index("ix_cases_path", table_name="cases")
    op.drop_table("cases")
