"""Executions: a state code and message replace the `finished` flag.

Revision ID: a472b5ad50b7
Revises: e1a50dae1ac9
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "a472b5ad50b7"
down_revision = "e1a50dae1ac9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "executions",
        sa.Column("state", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("executions", sa.Column("state_message", sa.Text(), nullable=True))
    # On SQLite files the Flask server created, `finished` has an unnamed CHECK (finished IN
    # (0, 1)); the rebuild leaves it out with a warning, and it goes with the column anyway.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unnamed CHECK constraint", UserWarning)
        with op.batch_alter_table("executions") as batch_op:
            batch_op.drop_column("finished")


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch_op:
        batch_op.add_column(
            sa.Column("finished", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.drop_column("state_message")
        batch_op.drop_column("state")
