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
"""

from __future__ import annotations

import datetime as dt
import gc
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.config.models import Sede
from central.reconciliation import loader
from central.reconciliation.models import (
    PENDING_DATA,
    RECONCILED,
    REOPENED,
    WITH_DISCREPANCIES,
    Closure,
    Discrepancy,
    LateMark,
)
from domain import reconciliation as rules
from domain.clock import LIMA, Clock, business_date
from domain.errors import Conflict, Forbidden, NotFound, RuleViolation
from domain.permissions import Role


def allowed_sedes(user: Principal) -> list[str] | None:
    """Sedes the user may see: ``None`` (all) for admins, else the assigned ones."""
    return None if Role(user.role) is Role.ADMIN else list(user.sede_ids)


def _check_allowed(allowed: list[str] | None, sede_id: str) -> None:
    if allowed is not None and sede_id not in allowed:
        raise Forbidden("No está asignado a esta sede.", code="sede_not_assigned")


def _finding_values(f: rules.Finding) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "severity": f.severity,
        "message": f.message,
        "record_ids": list(f.record_ids),
        "amount_cents": f.amount,
        "expected_cents": f.expected,
        "actual_cents": f.actual,
        "details": f.details,
    }


def _store_findings(
    session: Session,
    closure: Closure,
    findings: list[rules.Finding],
    *,
    now: dt.datetime,
    only_keys: set[str] | None = None,
) -> None:
    """Make the closure's discrepancies exactly ``findings`` (ids kept for unchanged keys);
    with ``only_keys``, touch only discrepancies with those keys."""
    existing = {
        d.key: d
        for d in session.exec(select(Discrepancy).where(Discrepancy.closure_id == closure.id))
    }
    wanted = {f.key or f.kind: f for f in findings}
    for key, old in existing.items():
        if key not in wanted and (only_keys is None or key in only_keys):
            session.delete(old)
    for key, f in wanted.items():
        values = _finding_values(f)
        row = existing.get(key)
        if row is None:
            session.add(
                Discrepancy(
                    closure_id=closure.id,
                    sede_id=closure.sede_id,
                    business_date=closure.business_date,
                    key=key,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
            session.add(row)


def _counts(closure: Closure, findings: list[rules.Finding]) -> None:
    closure.discrepancy_count = len(findings)
    closure.critical_count = sum(1 for f in findings if f.severity == rules.CRITICAL)


def _late_finding(late: list[dict[str, Any]]) -> rules.Finding:
    amount = sum(int(r["amount_cents"] or 0) for r in late if r["record_type"] == "payment")
    return rules.Finding(
        kind="late_records",
        severity=rules.WARNING,
        message=f"{len(late)} registro(s) llegaron después del cierre; figuran como ajustes "
        "tardíos (reabra el cierre para conciliarlos).",
        record_ids=tuple(f"{r['record_type']}:{r['id']}" for r in late[: rules.MAX_LISTED]),
        amount=amount,
        key="late_records",
    )


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
        _store_findings(session, closure, [], now=now)
        _counts(closure, [])
        return
    findings = rules.reconcile(
        seal.figures, data, today=today, cash_threshold=threshold, hub=figures
    )
    closure.seal_figures = seal.figures
    closure.seal_id = seal.id
    closure.seal_received_at = seal.received_at
    closure.status = rules.status_for(findings)
    closure.closed_at = now
    _store_findings(session, closure, findings, now=now)
    _counts(closure, findings)


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
    findings = [_late_finding(late)] if late else []
    _store_findings(session, closure, findings, now=now, only_keys={"late_records"})
    session.flush()
    total = session.exec(
        select(func.count()).select_from(Discrepancy).where(Discrepancy.closure_id == closure.id)
    ).one()
    closure.discrepancy_count = int(total)
    if late and closure.status == RECONCILED:
        closure.status = WITH_DISCREPANCIES


def get_closure(*, session: Session, closure_id: str, allowed: list[str] | None) -> Closure:
    closure = session.get(Closure, closure_id)
    if closure is None:
        raise NotFound("El cierre no existe.", code="closure_not_found", loc=["path", "id"])
    _check_allowed(allowed, closure.sede_id)
    return closure


def list_closures(
    *,
    session: Session,
    allowed: list[str] | None,
    sede_id: str | None = None,
    status: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Closure], int]:
    query = select(Closure)
    if sede_id:
        _check_allowed(allowed, sede_id)
        query = query.where(Closure.sede_id == sede_id)
    elif allowed is not None:
        query = query.where(col(Closure.sede_id).in_(allowed))
    if status:
        query = query.where(Closure.status == status)
    if date_from:
        query = query.where(col(Closure.business_date) >= date_from)
    if date_to:
        query = query.where(col(Closure.business_date) <= date_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Closure.business_date).desc(), col(Closure.sede_id))
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def closure_discrepancies(*, session: Session, closure: Closure) -> list[Discrepancy]:
    return _ordered(session.exec(select(Discrepancy).where(Discrepancy.closure_id == closure.id)))


def _ordered(rows: Any) -> list[Discrepancy]:
    return sorted(rows, key=lambda d: (-rules.SEVERITY_RANK.get(d.severity, 0), d.key))


def search_discrepancies(
    *,
    session: Session,
    allowed: list[str] | None,
    sede_id: str | None = None,
    severity: str | None = None,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Discrepancy], int]:
    query = select(Discrepancy)
    if sede_id:
        _check_allowed(allowed, sede_id)
        query = query.where(Discrepancy.sede_id == sede_id)
    elif allowed is not None:
        query = query.where(col(Discrepancy.sede_id).in_(allowed))
    if severity:
        query = query.where(Discrepancy.severity == severity)
    if kind:
        query = query.where(Discrepancy.kind == kind)
    if date_from:
        query = query.where(col(Discrepancy.business_date) >= date_from)
    if date_to:
        query = query.where(col(Discrepancy.business_date) <= date_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(
            col(Discrepancy.business_date).desc(), col(Discrepancy.sede_id), col(Discrepancy.key)
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


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
    return closure


def due_runs(*, session: Session, clock: Clock, hour: str) -> dict[dt.date, list[str] | None]:
    """What the scheduled job should (re)run now, day -> sedes (``None``: every active sede):
    today once past ``hour`` (Lima); yesterday until every active sede has a closure; recent
    pending or reopened closures; frozen closures whose day received late rows since."""
    now = clock.now()
    today = business_date(now)
    local = now.astimezone(LIMA)
    hh, _, mm = hour.partition(":")
    due: dict[dt.date, set[str] | None] = {}
    if (local.hour, local.minute) >= (int(hh or 23), int(mm or 59)):
        due[today] = None
    yesterday = today - dt.timedelta(days=1)
    active = set(session.exec(select(Sede.id).where(Sede.active)).all())
    done = set(
        session.exec(select(Closure.sede_id).where(Closure.business_date == yesterday)).all()
    )
    if active - done:
        due[yesterday] = None
    since = today - dt.timedelta(days=7)
    open_rows = session.exec(
        select(col(Closure.business_date), col(Closure.sede_id)).where(
            col(Closure.business_date) >= since,
            col(Closure.status).in_((PENDING_DATA, REOPENED)),
        )
    ).all()
    late_rows = session.exec(
        select(col(Closure.business_date), col(Closure.sede_id))
        .join(
            LateMark,
            and_(
                col(LateMark.sede_id) == col(Closure.sede_id),
                col(LateMark.business_date) == col(Closure.business_date),
            ),
        )
        .where(
            col(Closure.business_date) >= since,
            col(Closure.closed_at).is_not(None),
            col(LateMark.last_received_at) > col(Closure.updated_at),
        )
    ).all()
    for day, sede in [*open_rows, *late_rows]:
        if day in due and due[day] is None:
            continue
        bucket = due.setdefault(day, set())
        assert bucket is not None
        bucket.add(sede)
    return {d: (sorted(v) if v is not None else None) for d, v in sorted(due.items())}
