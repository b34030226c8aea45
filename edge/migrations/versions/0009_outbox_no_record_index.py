"""outbox: drop ``ix_sync_outbox_record``

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 01:00:00

The index on ``sync_outbox (record_type, record_id)`` served no query of the push, the pruning
or the digests (they read by ``seq``, the unacked tail), and every sale paid for it: its ~10
outbox rows, one per record type, landed on as many leaf pages of the index, ~15 of the ~77
pages a sale wrote to the WAL (and then to the database at each checkpoint).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_sync_outbox_record")


def downgrade() -> None:
    op.create_index("ix_sync_outbox_record", "sync_outbox", ["record_type", "record_id"])
