"""Role names are no longer unique.

Revision ID: d0e0700dcd8e
Revises: 00757b557b02
"""

import sqlalchemy as sa
from alembic import op

revision = "d0e0700dcd8e"
down_revision = "00757b557b02"
branch_labels = None
depends_on = None

# The constraint was created unnamed: PostgreSQL called it roles_name_key, SQLite keeps it
# nameless. Naming SQLite's reflected constraint the way PostgreSQL does lets one drop serve both.
POSTGRES_UNIQUE_NAMES = {"uq": "%(table_name)s_%(column_0_name)s_key"}


def upgrade() -> None:
    with op.batch_alter_table("roles", naming_convention=POSTGRES_UNIQUE_NAMES) as batch_op:
        batch_op.drop_constraint("roles_name_key", type_="unique")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        # Alembic adds only named constraints; rebuild the table with the unnamed one instead.
        with op.batch_alter_table(
            "roles", recreate="always", table_args=(sa.UniqueConstraint("name"),)
        ):
            pass
    else:
        op.create_unique_constraint("roles_name_key", "roles", ["name"])
