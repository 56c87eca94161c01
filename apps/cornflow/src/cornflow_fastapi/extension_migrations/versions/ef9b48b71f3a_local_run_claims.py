"""Local runner: which worker holds which queued execution.

Revision ID: ef9b48b71f3a
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "ef9b48b71f3a"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key to executions: the Flask server deletes executions without knowing this
    # table, and a dangling claim is simply dropped by the runner.
    op.create_table(
        "local_run_claims",
        sa.Column("execution_id", sa.String(256), nullable=False),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("worker_id", sa.String(128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("execution_id", name="pk_local_run_claims"),
    )
    op.create_index("ix_local_run_claims_worker_id", "local_run_claims", ["worker_id"])


def downgrade() -> None:
    op.drop_index("ix_local_run_claims_worker_id", table_name="local_run_claims")
    op.drop_table("local_run_claims")
