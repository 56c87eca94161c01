"""Deployed DAGs carry their JSON schemas.

Revision ID: 7c3ea5ab5501
Revises: d0e0700dcd8e
"""

import sqlalchemy as sa
from alembic import op

revision = "7c3ea5ab5501"
down_revision = "d0e0700dcd8e"
branch_labels = None
depends_on = None

SCHEMA_COLUMNS = (
    "instance_schema",
    "solution_schema",
    "config_schema",
    "instance_checks_schema",
    "solution_checks_schema",
)


def upgrade() -> None:
    for name in SCHEMA_COLUMNS:
        op.add_column("deployed_dags", sa.Column(name, sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deployed_dags") as batch_op:
        for name in SCHEMA_COLUMNS:
            batch_op.drop_column(name)
