"""Users: first and last name and a required username replace name and the admin flags.

Revision ID: 4aac5e0c6e66
Revises: c8a6c762e818
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "4aac5e0c6e66"
down_revision = "c8a6c762e818"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("first_name", sa.String(128), nullable=True))
    # Users created before usernames existed get their id as username. Usernames already set
    # are kept (the Flask revision overwrote them all).
    op.execute(sa.text("UPDATE users SET username = CAST(id AS VARCHAR) WHERE username IS NULL"))
    # On SQLite files the Flask server created, admin and super_admin carry unnamed CHECK
    # constraints; the rebuild leaves them out with a warning, and they go with their columns.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unnamed CHECK constraint", UserWarning)
        with op.batch_alter_table("users") as batch_op:
            batch_op.drop_column("admin")
            batch_op.drop_column("super_admin")
            batch_op.drop_column("name")
            batch_op.alter_column("username", existing_type=sa.String(128), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(128), nullable=True))
        batch_op.add_column(
            sa.Column("admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("super_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(sa.text("UPDATE users SET name = username"))
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(128), nullable=False)
        batch_op.alter_column("username", existing_type=sa.String(128), nullable=True)
        batch_op.drop_column("first_name")
