"""hub audit: the sede of events recorded before ``hub_audit_event.sede_id`` existed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 23:50:00

Supervisors read only the audit events of their sedes (``central.audit.service``), so an event
whose ``sede_id`` is NULL is chain-wide and only admins see it. Events recorded before the
column existed have it NULL even when they concern one sede. This step gives them the sede
``central.audit.service.record`` gives such an event today, when it can be derived:

1. the record is a sede (``record_type = 'sede'``: ``sede.create``, ``sede.update``,
   ``lab_sede.update``): that sede;
2. the record is a sede's day closure (``record_type = 'reconciliation_closure'``:
   ``reconciliation.execute``, ``reconciliation.reopen``): the closure's sede;
3. the details carry ``sede_id`` (the same two actions, ``convenio.statement`` filtered by a
   sede): that sede.

Only ids of sedes the hub knows are written. Everything else stays chain-wide as ``record``
keeps it: sign-ins and users (a user may span several sedes), the catalog, settings, patients
(they belong to the chain), lab systems, backups, convenios and their payments.

A hub whose schema predates the column (its 0001 was generated before it) gets the column and
its index first; on any other hub that is a no-op. Downgrading leaves the sedes in place (they
cannot be told from those recorded with the event).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = (
    # 1. the record is a sede
    "UPDATE hub_audit_event e SET sede_id = s.id FROM sede s "
    "WHERE e.sede_id IS NULL AND e.record_type = 'sede' AND s.id = e.record_id",
    # 2. the record is a sede's day closure
    "UPDATE hub_audit_event e SET sede_id = s.id FROM recon_closure c JOIN sede s "
    "ON s.id = c.sede_id WHERE e.sede_id IS NULL "
    "AND e.record_type = 'reconciliation_closure' AND c.id = e.record_id",
    # 3. the details name the sede
    "UPDATE hub_audit_event e SET sede_id = s.id FROM sede s "
    "WHERE e.sede_id IS NULL AND json_typeof(e.details) = 'object' "
    "AND s.id = e.details->>'sede_id'",
)


def upgrade() -> None:
    op.execute("ALTER TABLE hub_audit_event ADD COLUMN IF NOT EXISTS sede_id VARCHAR(36)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_hub_audit_event_sede_id ON hub_audit_event (sede_id)")
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    """Nothing to undo: the column belongs to 0001 and the sedes written are right."""
