"""The group page's list index holds ``pinned_at`` on PostgreSQL (issue 10, "Scale"):
its planner reads the list from the index alone only when every column the query names
is in it, and ``(pinned_at IS NULL)`` names ``pinned_at``. An old ``?page=250`` link's
offset went from 5 ms (a heap read of every thread skipped) to 0.7 ms. SQLite: the same
index, made again.

Revision ID: 5d0c7e2a9b41
Revises: 118f45c9620f
Create Date: 2026-12-01 15:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5d0c7e2a9b41"
down_revision = "118f45c9620f"
branch_labels = None
depends_on = None

COLUMNS = [
    "group_id",
    sa.text("(pinned_at IS NULL)"),
    sa.text("last_activity_at DESC"),
    sa.text("id DESC"),
]


def upgrade():
    op.drop_index("ix_threads_group_list", table_name="threads")
    op.create_index(
        "ix_threads_group_list", "threads", COLUMNS, unique=False, postgresql_include=["pinned_at"]
    )


def downgrade():
    op.drop_index("ix_threads_group_list", table_name="threads")
    op.create_index("ix_threads_group_list", "threads", COLUMNS, unique=False)
