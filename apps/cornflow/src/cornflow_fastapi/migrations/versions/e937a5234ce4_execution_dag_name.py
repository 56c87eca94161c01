"""Executions: the name of the DAG that solves them.

Revision ID: e937a5234ce4
Revises: a472b5ad50b7
"""

import sqlalchemy as sa
from alembic import op

revision = "e937a5234ce4"
down_revision = "a472b5ad50b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("executions", sa.Column("dag_name", sa.String(256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch_op:
        batch_op.drop_column("dag_name")
