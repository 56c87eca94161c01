"""Usernames are unique, and a user holds a role at most once.

Revision ID: ca449af8034c
Revises: 4aac5e0c6e66
"""

from alembic import op

revision = "ca449af8034c"
down_revision = "4aac5e0c6e66"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_unique_constraint("c_unique_users_username", ["username"])
    with op.batch_alter_table("user_role") as batch_op:
        batch_op.create_unique_constraint(
            "c_unique_user_role_user_id_role_id", ["user_id", "role_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("user_role") as batch_op:
        batch_op.drop_constraint("c_unique_user_role_user_id_role_id", type_="unique")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("c_unique_users_username", type_="unique")
