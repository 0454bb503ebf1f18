"""Versions' review dates settled (issue 10, "Scale"): the periodic command reads only
the versions' review dates still to be reminded, not every date that has passed.

Revision ID: f68d78e33752
Revises: 02e7adebc746
Create Date: 2026-12-01 11:16:22.427890

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f68d78e33752"
down_revision = "02e7adebc746"
branch_labels = None
depends_on = None

PENDING = "review_on IS NOT NULL AND NOT review_settled"

# settled already: a replaced version, a repealed agreement, a date whose reminder went out
SETTLE = """
UPDATE agreement_versions SET review_settled = true
WHERE review_on IS NOT NULL AND EXISTS (
    SELECT 1 FROM agreements
    WHERE agreements.id = agreement_versions.agreement_id
    AND (agreements.current_version <> agreement_versions.version
         OR agreements.status <> 'active'
         OR agreements.review_notified_on = agreement_versions.review_on)
)
"""


def upgrade():
    # plain ALTER TABLE (no batch copy on SQLite: the search index's triggers name the table)
    op.add_column(
        "agreement_versions",
        sa.Column("review_settled", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.drop_index("ix_agreement_versions_review_on", table_name="agreement_versions")
    op.execute(SETTLE)
    op.create_index(
        "ix_agreement_versions_review_pending",
        "agreement_versions",
        ["review_on"],
        unique=False,
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )


def downgrade():
    op.drop_index("ix_agreement_versions_review_pending", table_name="agreement_versions")
    op.create_index(
        "ix_agreement_versions_review_on",
        "agreement_versions",
        ["review_on"],
        unique=False,
        postgresql_where=sa.text("review_on IS NOT NULL"),
        sqlite_where=sa.text("review_on IS NOT NULL"),
    )
    op.drop_column("agreement_versions", "review_settled")
