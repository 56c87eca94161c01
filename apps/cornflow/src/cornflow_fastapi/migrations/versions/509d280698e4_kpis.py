"""KPIs on cases and executions; whether an execution's last run computed checks and KPIs.

Revision ID: 509d280698e4
Revises: cef1df240b27
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "509d280698e4"
down_revision = "cef1df240b27"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("kpis", sa.JSON(), nullable=True))
    op.add_column("executions", sa.Column("kpis", sa.JSON(), nullable=True))
    op.add_column("executions", sa.Column("last_run_checks_and_kpis", sa.Boolean(), nullable=True))


def downgrade() -> None:
    # SQLite files the Flask server migrated carry an unnamed CHECK constraint on the boolean
    # column; the rebuild leaves it out with a warning, and it goes with the column anyway.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unnamed CHECK constraint", UserWarning)
        with op.batch_alter_table("executions") as batch_op:
            batch_op.drop_column("last_run_checks_and_kpis")
            batch_op.drop_column("kpis")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("kpis")
