"""Reopening a reconciled closure: a supervisor, with a reason, audited; sent down to the sede."""

from __future__ import annotations

from sqlmodel import Session

from central.audit import service as audit
from central.auth.tokens import Principal
from central.reconciliation import publishing
from central.reconciliation.models import PENDING_DATA, REOPENED, Closure
from central.reconciliation.queries import allowed_sedes, get_closure
from domain.clock import Clock
from domain.errors import Conflict


def reopen(
    *,
    session: Session,
    clock: Clock,
    closure_id: str,
    reason: str,
    actor: Principal,
    ip: str | None = None,
) -> Closure:
    """Reopen a reconciled closure (with a reason, audited): the next run reconciles afresh."""
    closure = get_closure(session=session, closure_id=closure_id, allowed=allowed_sedes(actor))
    if closure.status == PENDING_DATA or closure.closed_at is None:
        raise Conflict(
            "El cierre está pendiente de datos: no hay nada que reabrir.",
            code="closure_not_closed",
        )
    if closure.status == REOPENED:
        raise Conflict("El cierre ya está reabierto.", code="closure_already_reopened")
    now = clock.now()
    previous = closure.status
    closure.status = REOPENED
    closure.reopen_count += 1
    closure.reopened_at = now
    closure.reopened_by = actor.username
    closure.reopen_reason = reason
    closure.updated_at = now
    session.add(closure)
    audit.record(
        session, action="reconciliation.reopen", clock=clock, actor=actor,
        record_type="reconciliation_closure", record_id=closure.id, ip=ip,
        details={"reason": reason, "previous_status": previous, "sede_id": closure.sede_id,
                 "business_date": closure.business_date.isoformat(),
                 "figures": closure.figures.get("orders", {}),
                 "late_adjustments": len(closure.late_adjustments)},
    )  # fmt: skip
    session.flush()
    publishing.publish(session, [closure], now=now)
    return closure
