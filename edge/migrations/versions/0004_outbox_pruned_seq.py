"""outbox pruning: ``sync_state.pruned_seq``, the highest outbox seq the housekeeping deleted

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:10:00

Acknowledged outbox rows older than the hub's backup window are deleted by the daily
housekeeping (``edge.housekeeping``); a hub restored from an older dump that asks for rows at
or below this mark gets the ``outbox_pruned`` block instead of a silent gap
(``sync.outbox.pending``). Existing nodes start at 0: nothing pruned yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sync_state",
        sa.Column("pruned_seq", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("pruned_seq")
