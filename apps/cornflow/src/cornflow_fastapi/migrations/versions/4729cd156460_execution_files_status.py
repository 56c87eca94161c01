"""Executions: the status of their stored execution files.

Revision ID: 4729cd156460
Revises: 9cacf194fa1c
"""

import warnings

import sqlalchemy as sa
from alembic import op

revision = "4729cd156460"
down_revision = "9cacf194fa1c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No server default: both servers write the 0 themselves.
    op.add_column(
        "executions", sa.Column("execution_files_status", sa.SmallInteger(), nullable=True)
    )
    op.execute(
        sa.text(
            "UPDATE executions SET execution_files_status = 0 WHERE execution_files_status IS NULL"
        )
    )
    # SQLite rebuilds the table here. The Flask server's SQLAlchemy 1.3 gave the rebuilt boolean
    # columns CHECK (... IN (0, 1)) constraints; declaring them the same way keeps both servers'
    # SQLite files on one schema. Such constraints already present (a file the Flask server
    # migrated to 9cacf194fa1c) are left out with a warning and come back from reflect_args.
    # PostgreSQL alters in place and ignores reflect_args.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unnamed CHECK constraint", UserWarning)
        with op.batch_alter_table(
            "executions",
            reflect_args=(
                sa.Column("last_run_checks_and_kpis", sa.Boolean(create_constraint=True)),
                sa.Column("checks_and_kpis_only", sa.Boolean(create_constraint=True)),
            ),
        ) as batch_op:
            batch_op.alter_column(
                "execution_files_status", existing_type=sa.SmallInteger(), nullable=False
            )


def downgrade() -> None:
    # The rebuild leaves out the boolean CHECK constraints upgrade() added (alembic says so in a
    # warning): the table had none at 9cacf194fa1c.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unnamed CHECK constraint", UserWarning)
        with op.batch_alter_table("executions") as batch_op:
            batch_op.drop_column("execution_files_status")
