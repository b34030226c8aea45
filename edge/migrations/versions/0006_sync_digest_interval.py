"""sync: ``sync_status.last_digest_at`` / ``last_digest_repaired``, the last digest comparison

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 11:10:00

The worker compares the mirror digests with the hub's only every ``sync_digest_interval_s``
seconds (``edge.sync.digests.due``); the time of the last comparison is kept here so a
worker restart neither compares at once nor never, and the status shows its result. Existing
nodes start at NULL: their next pull compares.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sync.sqltypes import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sync_status", sa.Column("last_digest_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "sync_status", sa.Column("last_digest_repaired", sa.String(length=400), nullable=True)
    )


def downgrade() -> None:
    op.execute("ALTER TABLE sync_status DROP COLUMN last_digest_repaired")
    op.execute("ALTER TABLE sync_status DROP COLUMN last_digest_at")
