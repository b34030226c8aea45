"""catalog prices: who cancelled a scheduled price and when

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 11:40:00

An admin may cancel a price scheduled for a later Lima date (one test, or every price of a date:
an imported list) before the worker applies it (``central.catalog.scheduled_prices``). The row
keeps its ``cancelled`` status with who cancelled it and when, for the price history.

Three nullable columns: existing rows (applied, scheduled, or cancelled by a newer price for the
same date) read "unknown". ``IF NOT EXISTS``: a hub whose 0001 was generated after the columns
existed already has them. Downgrading drops them (the status stays ``cancelled``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("cancelled_at", "TIMESTAMP WITH TIME ZONE"),
    ("cancelled_by", "VARCHAR(36)"),
    ("cancelled_by_username", "VARCHAR(60)"),
)


def upgrade() -> None:
    for name, sql_type in COLUMNS:
        op.execute(f"ALTER TABLE catalog_price ADD COLUMN IF NOT EXISTS {name} {sql_type}")


def downgrade() -> None:
    for name, _ in COLUMNS:
        op.execute(f"ALTER TABLE catalog_price DROP COLUMN IF EXISTS {name}")
