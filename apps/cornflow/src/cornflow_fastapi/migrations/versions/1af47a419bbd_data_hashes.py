"""Executions carry their solution as `data`; instances and executions get a data hash.

Revision ID: 1af47a419bbd
Revises: e937a5234ce4
"""

import sqlalchemy as sa
from alembic import op

revision = "1af47a419bbd"
down_revision = "e937a5234ce4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("data", sa.JSON(), nullable=True))
    op.add_column("executions", sa.Column("data_hash", sa.String(256), nullable=True))
    op.execute(sa.text("UPDATE executions SET data_hash = ''"))
    with op.batch_alter_table("executions") as batch_op:
        batch_op.alter_column("data_hash", existing_type=sa.String(256), nullable=False)
        batch_op.drop_column("execution_results")

    op.add_column("instances", sa.Column("data_hash", sa.String(256), nullable=True))
    op.execute(sa.text("UPDATE instances SET data_hash = ''"))
    with op.batch_alter_table("instances") as batch_op:
        batch_op.alter_column("data_hash", existing_type=sa.String(256), nullable=False)
        batch_op.alter_column("data", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    # `data` was required before: an instance stored without data gets an empty object.
    op.execute(sa.text("UPDATE instances SET data = '{}' WHERE data IS NULL"))
    with op.batch_alter_table("instances") as batch_op:
        batch_op.alter_column("data", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("data_hash")

    with op.batch_alter_table("executions") as batch_op:
        batch_op.add_column(sa.Column("execution_results", sa.JSON(), nullable=True))
        batch_op.drop_column("data_hash")
        batch_op.drop_column("data")
