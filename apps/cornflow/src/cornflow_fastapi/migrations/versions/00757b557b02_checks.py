"""Data checks on instances, executions and cases (and on a case's solution).

Revision ID: 00757b557b02
Revises: f3bee20314a2
"""

import sqlalchemy as sa
from alembic import op

revision = "00757b557b02"
down_revision = "f3bee20314a2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("checks", sa.JSON(), nullable=True))
    op.add_column("cases", sa.Column("solution_checks", sa.JSON(), nullable=True))
    op.add_column("executions", sa.Column("checks", sa.JSON(), nullable=True))
    op.add_column("instances", sa.Column("checks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instances") as batch_op:
        batch_op.drop_column("checks")
    with op.batch_alter_table("executions") as batch_op:
        batch_op.drop_column("checks")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("solution_checks")
        batch_op.drop_column("checks")
