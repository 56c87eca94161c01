"""Instances, executions and cases record their schema; cases get a solution.

Revision ID: c2db9409cb5f
Revises: d1b5be1f0549
"""

import sqlalchemy as sa
from alembic import op

revision = "c2db9409cb5f"
down_revision = "d1b5be1f0549"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("schema", sa.String(256), nullable=True))
    op.add_column("cases", sa.Column("solution", sa.JSON(), nullable=True))
    op.add_column("cases", sa.Column("solution_hash", sa.String(256), nullable=True))
    op.execute(sa.text("UPDATE cases SET solution_hash = ''"))
    with op.batch_alter_table("cases") as batch_op:
        batch_op.alter_column("solution_hash", existing_type=sa.String(256), nullable=False)

    op.add_column("executions", sa.Column("schema", sa.String(256), nullable=True))
    # The schema column takes over from dag_name.
    with op.batch_alter_table("executions") as batch_op:
        batch_op.drop_column("dag_name")

    op.add_column("instances", sa.Column("schema", sa.String(256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instances") as batch_op:
        batch_op.drop_column("schema")

    with op.batch_alter_table("executions") as batch_op:
        batch_op.add_column(sa.Column("dag_name", sa.String(256), nullable=True))
        batch_op.drop_column("schema")

    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("solution_hash")
        batch_op.drop_column("solution")
        batch_op.drop_column("schema")
