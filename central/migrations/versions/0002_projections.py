"""projections: summary tables kept by triggers on sync_record, closures view

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00

- Statement-level triggers on ``sync_record`` (insert / update / delete, with transition tables)
  keep the reports' summary tables (``rpt_*``), the late-row marks of reconciled days
  (``recon_late_mark``) and the notification event queue (``notification_event``) in step with
  every pushed batch, inside the ingest's own transaction. The SQL lives in
  ``central.reports.projections``; existing rows are summarised at upgrade time.
- The view ``reconciliation_closure`` lists the closures actually reconciled (not
  ``pending_data``): the sync ingest reads it to flag rows arriving for a closed day as late.
"""

from collections.abc import Sequence

from alembic import op

from central.reports import projections

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEW = (
    "CREATE VIEW reconciliation_closure AS SELECT id, sede_id, business_date, status, closed_at "
    "FROM recon_closure WHERE closed_at IS NOT NULL AND status <> 'pending_data'"
)


def upgrade() -> None:
    op.execute(VIEW)
    # as of this revision: later summaries' tables do not exist yet (0007 adds its own)
    for stmt in projections.create_sql(revision):
        op.execute(stmt)
    for stmt in projections.rebuild_sql(revision):
        op.execute(stmt)


def downgrade() -> None:
    for stmt in projections.drop_sql():
        op.execute(stmt)
    op.execute("DROP VIEW IF EXISTS reconciliation_closure")
