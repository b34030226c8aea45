"""Running, listing and reopening closures (DESIGN.md section 5).

- A sede whose day seal has not arrived gets a ``pending_data`` closure: never reconciled.
- With the seal in, the hub's figures are compared with it and every rule of
  :mod:`domain.reconciliation` runs; each finding becomes a ``Discrepancy`` (kind, severity,
  ids, amounts) and the closure is ``reconciled`` or ``with_discrepancies`` and frozen
  (``closed_at``).
- Re-running is idempotent: a frozen closure keeps its figures and findings; rows that arrive
  for its day afterwards (or that the ingest flagged ``late``) are listed as late adjustments
  (with the figures they would give, ``adjusted_figures``) and one ``late_records`` finding,
  never folded in silently. A supervisor reopens a closure (reason, audited) to have the next
  run reconcile the day afresh.

Reading lives in :mod:`~central.reconciliation.queries`, findings storage in
:mod:`~central.reconciliation.findings`, reopening in :mod:`~central.reconciliation.reopening`
and the schedule in :mod:`~central.reconciliation.schedule`; they are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import gc
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.config.models import Sede
from central.reconciliation import findings as finding_rows
from central.reconciliation import loader, publishing
from central.reconciliation.first_day import before_first_day
from central.reconciliation.models import (
    PENDING_DATA,
    RECONCILED,
    REOPENED,
    WITH_DISCREPANCIES,
    Closure,
    Discrepancy,
)
from central.reconciliation.queries import (
    allowed_sedes,
    closure_discrepancies,
    get_closure,
    list_closures,
    search_discrepancies,
)
from central.reconciliation.reopening import reopen
from central.reconciliation.schedule import due_runs
from domain import reconciliation as rules
from domain.clock import Clock, business_date
from domain.errors import NotFound, RuleViolation

__all__ = [
    "allowed_sedes",
    "closure_discrepancies",
    "due_runs",
    "execute",
    "get_closure",
    "list_closures",
    "reopen",
    "search_discrepancies",
]


def execute(
    *,
    session: Session,
    clock: Clock,
    day: dt.date,
    sede_ids: list[str] | None = None,
    actor: Principal | None = None,
    ip: str | None = None,
) -> list[Closure]:
    """Reconcile ``day`` for ``sede_ids`` (default: every active sede); returns the closures."""
    enabled = gc.isenabled()
    gc.disable()  # many small long-lived objects: see loader.load_days
    try:
        return _execute(session=session, clock=clock, day=day, sede_ids=sede_ids, actor=actor,
                        ip=ip)  # fmt: skip
    finally:
        if enabled:
            gc.enable()


def _execute(
    *,
    session: Session,
    clock: Clock,
    day: dt.date,
    sede_ids: list[str] | None,
    actor: Principal | None,
    ip: str | None,
) -> list[Closure]:
    now = clock.now()
    if day > business_date(now):
        raise RuleViolation(
            "No se puede conciliar un día que aún no termina de empezar.",
            code="date_in_future",
            loc=["body", "date"],
        )
    query = select(Sede)
    query = query.where(col(Sede.id).in_(sede_ids)) if sede_ids else query.where(Sede.active)
    sedes = {s.id: s for s in session.exec(query)}
    for sid in sede_ids or []:
        if sid not in sedes:
            raise NotFound("La sede no existe.", code="sede_not_found", loc=["body", "sede_id"])
    ids = sorted(sedes)
    if not ids:
        return []
    closures = {
        c.sede_id: c
        for c in session.exec(
            select(Closure).where(col(Closure.sede_id).in_(ids), Closure.business_date == day)
        )
    }
    # no closure for a day before the sede's first day (it did not exist yet)
    young = before_first_day(session, day=day, sedes=(sedes[s] for s in ids if s not in closures))
    if young and sede_ids:
        raise RuleViolation(
            f"La sede {sedes[min(young)].code} aún no existía el {day:%d/%m/%Y}: no hay nada"
            " que conciliar ese día.",
            code="before_sede_first_day",
            loc=["body", "date"],
        )
    ids = [sid for sid in ids if sid not in young]
    if not ids:
        return []
    frozen = {
        sid for sid, c in closures.items() if c.closed_at is not None and c.status != REOPENED
    }
    late = loader.late_rows(session, day=day, sede_ids=sorted(frozen)) if frozen else {}
    unchanged = {sid for sid in frozen if late.get(sid, []) == closures[sid].late_adjustments}
    wanted = [sid for sid in ids if sid not in unchanged]
    raw = loader.load_days(session, day=day, sede_ids=wanted) if wanted else {}
    refs: set[str] = set()
    for r in raw.values():
        own = {o.id for o in r.orders}
        refs |= {p.order_id for p in r.payments if p.order_id and p.order_id not in own}
        refs |= {d.order_id for d in r.documents if d.order_id and d.order_id not in own}
    known = loader.known_orders(session, refs)
    floors = loader.series_floors(session, day=day, sede_ids=wanted) if wanted else {}
    today = business_date(now)
    by = actor.username if actor else "sistema"
    out: list[Closure] = []
    newly_flagged: list[Closure] = []
    for sid in ids:
        closure = closures.get(sid)
        if closure is None:
            closure = Closure(sede_id=sid, business_date=day, executed_at=now, created_at=now,
                              updated_at=now)  # fmt: skip
            session.add(closure)
        if sid in frozen:
            if sid not in unchanged:
                data = loader.day_data(raw[sid], day=day, known=known, floor=floors.get(sid, {}))
                _refresh_late(session, closure, data, late.get(sid, []), now=now)
        else:
            data = loader.day_data(raw[sid], day=day, known=known, floor=floors.get(sid, {}))
            before = closure.status
            _reconcile(
                session, closure, data, raw[sid].seal, now=now, today=today,
                threshold=sedes[sid].cash_difference_threshold_cents,
            )  # fmt: skip
            if closure.status == WITH_DISCREPANCIES and before != WITH_DISCREPANCIES:
                newly_flagged.append(closure)
        closure.runs += 1
        closure.executed_at = now
        closure.executed_by = by
        closure.updated_at = now
        session.add(closure)
        out.append(closure)
    session.flush()
    afresh = [c.sede_id for c in out if c.sede_id not in frozen]
    if afresh:
        loader.clear_late_before(session, day=day, sede_ids=afresh)
    publishing.publish(session, out, now=now)
    if newly_flagged:
        from central.notifications import events

        for c in newly_flagged:
            events.discrepancy_found(session, closure=c, now=now)
    if actor is not None:
        for c in out:
            audit.record(
                session, action="reconciliation.execute", clock=clock, actor=actor,
                record_type="reconciliation_closure", record_id=c.id, ip=ip,
                details={"sede_id": c.sede_id, "business_date": day.isoformat(),
                         "status": c.status, "discrepancies": c.discrepancy_count},
            )  # fmt: skip
    return out


def _reconcile(
    session: Session,
    closure: Closure,
    data: rules.DayData,
    seal: loader.Seal | None,
    *,
    now: dt.datetime,
    today: dt.date,
    threshold: int,
) -> None:
    figures = rules.hub_figures(data)
    closure.figures = figures
    closure.adjusted_figures = figures
    closure.method_totals = rules.method_totals(data)
    closure.late_adjustments = []
    closure.has_late_adjustments = False
    if seal is None:
        closure.status = PENDING_DATA
        closure.seal_figures = {}
        closure.seal_id = None
        closure.seal_received_at = None
        closure.closed_at = None
        finding_rows.store_findings(session, closure, [], now=now)
        finding_rows.count_findings(closure, [])
        return
    findings = rules.reconcile(
        seal.figures, data, today=today, cash_threshold=threshold, hub=figures
    )
    closure.seal_figures = seal.figures
    closure.seal_id = seal.id
    closure.seal_received_at = seal.received_at
    closure.status = rules.status_for(findings)
    closure.closed_at = now
    finding_rows.store_findings(session, closure, findings, now=now)
    finding_rows.count_findings(closure, findings)


def _refresh_late(
    session: Session,
    closure: Closure,
    data: rules.DayData,
    late: list[dict[str, Any]],
    *,
    now: dt.datetime,
) -> None:
    """A frozen closure: list what arrived since, with the figures it would give."""
    closure.late_adjustments = late
    closure.has_late_adjustments = bool(late)
    closure.adjusted_figures = rules.hub_figures(data)
    findings = [finding_rows.late_finding(late)] if late else []
    finding_rows.store_findings(session, closure, findings, now=now, only_keys={"late_records"})
    session.flush()
    total = session.exec(
        select(func.count()).select_from(Discrepancy).where(Discrepancy.closure_id == closure.id)
    ).one()
    closure.discrepancy_count = int(total)
    if late and closure.status == RECONCILED:
        closure.status = WITH_DISCREPANCIES
