"""Indexes for big databases (issue 10, "Scale"): the group page's thread list read a
page at a time, a person's notifications newest first, a group's open polls, and the
review dates the periodic command looks for.

Revision ID: 02e7adebc746
Revises: 66aedeae4f47
Create Date: 2026-12-01 10:59:37.331888

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "02e7adebc746"
down_revision = "66aedeae4f47"
branch_labels = None
depends_on = None

REVIEW_PENDING = (
    "review_on IS NOT NULL AND (review_notified_on IS NULL OR review_notified_on <> review_on)"
)


def upgrade():
    op.create_index(
        "ix_threads_group_list",
        "threads",
        [
            "group_id",
            sa.text("(pinned_at IS NULL)"),
            sa.text("last_activity_at DESC"),
            sa.text("id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_notifications_user_created",
        "notifications",
        ["user_id", sa.text("created_at DESC"), sa.text("id DESC")],
        unique=False,
    )
    op.create_index(
        "ix_polls_open_group",
        "polls",
        ["group_id", "closing_at"],
        unique=False,
        postgresql_where=sa.text("closed_at IS NULL"),
        sqlite_where=sa.text("closed_at IS NULL"),
    )
    op.create_index(
        "ix_agreements_review_pending",
        "agreements",
        ["review_on"],
        unique=False,
        postgresql_where=sa.text(REVIEW_PENDING),
        sqlite_where=sa.text(REVIEW_PENDING),
    )
    op.create_index(
        "ix_agreement_versions_review_on",
        "agreement_versions",
        ["review_on"],
        unique=False,
        postgresql_where=sa.text("review_on IS NOT NULL"),
        sqlite_where=sa.text("review_on IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_agreement_versions_review_on", table_name="agreement_versions")
    op.drop_index("ix_agreements_review_pending", table_name="agreements")
    op.drop_index("ix_polls_open_group", table_name="polls")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_index("ix_threads_group_list", table_name="threads")
