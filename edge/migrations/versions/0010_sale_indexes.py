"""indexes a sale paid for and no query used

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 01:30:00

Every index a sale's rows enter is one more page the sale writes to the WAL (and to the
database again at the checkpoint):

- ``sede_id`` of ``lab_order``, ``invoice`` and ``lab_job``: a node holds its own sede's rows,
  so each index held one value;
- ``lab_job.lab_system_id``: no query filters on it;
- ``invoice_file.owner_id``: ``uq_invoice_file_owner_kind`` (owner_id, kind) already finds a
  document's files;
- ``invoice.reference_invoice_id`` and ``invoice.next_attempt_at`` become partial (``IS NOT
  NULL``): the queries that use them (a document's notes; the sender's due documents) compare
  the column, which implies it. A sale's boleta or factura references nothing, and a document
  leaves the other index once SUNAT has answered (it holds the sender's queue, not every
  document ever issued; a boleta reported in the daily summary never enters it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = (
    ("ix_lab_order_sede_id", "lab_order", "sede_id"),
    ("ix_invoice_sede_id", "invoice", "sede_id"),
    ("ix_lab_job_sede_id", "lab_job", "sede_id"),
    ("ix_lab_job_lab_system_id", "lab_job", "lab_system_id"),
    ("ix_invoice_file_owner_id", "invoice_file", "owner_id"),
)
_PARTIAL = (
    ("ix_invoice_reference_invoice_id", "invoice", "reference_invoice_id"),
    ("ix_invoice_next_attempt_at", "invoice", "next_attempt_at"),
)


def upgrade() -> None:
    for name, _table, _column in _DROPPED:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, table, column in _PARTIAL:
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON {table} ({column}) WHERE {column} IS NOT NULL")


def downgrade() -> None:
    for name, table, column in (*_DROPPED, *_PARTIAL):
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON {table} ({column})")
