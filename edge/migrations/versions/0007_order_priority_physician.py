"""orders: ``lab_order.priority``, ``physician_cmp``, ``physician_name``

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:30:00

Set by the sale (``edge.orders.service.create_order``, rules in ``domain.physician``): how
urgent the order is and the physician who asked for it (médico solicitante, with their CMP).
Orders sold before this migration are ``rutina`` with no physician: none was recorded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("physician_name", "physician_cmp", "priority")


def upgrade() -> None:
    op.add_column(
        "lab_order",
        sa.Column("priority", sa.String(length=10), nullable=False, server_default="rutina"),
    )
    op.add_column("lab_order", sa.Column("physician_cmp", sa.String(length=6), nullable=True))
    op.add_column("lab_order", sa.Column("physician_name", sa.String(length=120), nullable=True))


def downgrade() -> None:
    # SQLite >= 3.35 drops a plain column in place; a batch copy of lab_order would trip the
    # foreign keys of order_item, payment, ... that point at it
    for column in _COLUMNS:
        op.execute(f"ALTER TABLE lab_order DROP COLUMN {column}")
