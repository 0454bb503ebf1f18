"""Versions' review dates read a batch at a time (issue 10, "Scale"): the periodic
command reads the dates not settled in (date, id) order and stops after a batch, from an
index that also holds what it joins on (an index-only read on PostgreSQL).

Revision ID: 118f45c9620f
Revises: cbb976e69909
Create Date: 2026-12-01 14:51:05.881300

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "118f45c9620f"
down_revision = "cbb976e69909"
branch_labels = None
depends_on = None

PENDING = "review_on IS NOT NULL AND NOT review_settled"


def _pending_index(columns):
    op.create_index(
        "ix_agreement_versions_review_pending",
        "agreement_versions",
        columns,
        unique=False,
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )


def upgrade():
    op.drop_index("ix_agreement_versions_review_pending", table_name="agreement_versions")
    _pending_index(["review_on", "id", "agreement_id", "version"])


def downgrade():
    op.drop_index("ix_agreement_versions_review_pending", table_name="agreement_versions")
    _pending_index(["review_on"])
