"""Executions: dag_run_id becomes run_id (orchestrators other than Airflow).

Revision ID: 999b98e24225
Revises: 991b98e24225
"""

from alembic import op

revision = "999b98e24225"
down_revision = "991b98e24225"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch_op:
        batch_op.alter_column("dag_run_id", new_column_name="run_id")


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch_op:
        batch_op.alter_column("run_id", new_column_name="dag_run_id")
