"""orders: ``lab_order.results_promised_at``, when the order's results are promised

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:50:00

Set by the sale (``edge.orders.service.create_order``, rule in ``domain.results_promise``);
orders sold before this migration keep NULL: no promise was made to their patients.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sync.sqltypes import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lab_order", sa.Column("results_promised_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_lab_order_results_promised_at", "lab_order", ["results_promised_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_lab_order_results_promised_at", table_name="lab_order")
    # SQLite >= 3.35 drops a plain column in place; a batch copy of lab_order would trip the
    # foreign keys of order_item, payment, ... that point at it
    op.execute("ALTER TABLE lab_order DROP COLUMN results_promised_at")
