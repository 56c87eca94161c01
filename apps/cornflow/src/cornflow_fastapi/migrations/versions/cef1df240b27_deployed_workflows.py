"""deployed_dags becomes deployed_workflows.

Revision ID: cef1df240b27
Revises: 999b98e24225

The primary key keeps its PostgreSQL name, deployed_dags_pkey.
"""

from alembic import op

revision = "cef1df240b27"
down_revision = "999b98e24225"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("deployed_dags", "deployed_workflows")


def downgrade() -> None:
    op.rename_table("deployed_workflows", "deployed_dags")
