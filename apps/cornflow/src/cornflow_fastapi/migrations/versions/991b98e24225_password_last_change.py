"""Users: when the password was last changed (for password rotation).

Revision ID: 991b98e24225
Revises: ebdd955fcc5e
"""

import sqlalchemy as sa
from alembic import op

revision = "991b98e24225"
down_revision = "ebdd955fcc5e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("pwd_last_change", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("pwd_last_change")
