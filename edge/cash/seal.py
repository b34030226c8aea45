"""The day seal (DESIGN.md section 3): counts and sums of a sede's business day.

Closing the day writes one ``DaySeal`` row (record type ``day_seal``, replicated through the
outbox by the flush hook) with the day's orders, payments, invoices, cash sessions and samples,
and ``last_seq``: the outbox sequence reached before the seal itself, read from ``sync_state``
inside the same transaction. The hub reconciles a day only once its seal has arrived and its own
counts match. Sums are integer céntimos, like every replicated money value.

A supervisor may reopen a sealed day (``reopen_day``: reason, audited) unless the hub has
already closed it (known here once the closure is pulled; before that, the reopening asks the
hub itself: ``edge.cash.hub_check``): the row stays with ``status`` ``reabierto`` (the hub then
treats the day as unsealed) and the day takes sales, payments and cash work again. Sealing it
again rewrites the same row, so the hub receives an update of the same ``day_seal`` record with
fresh figures.

Which days can be sealed: not the future, and not a day before the node's first activity (its
earliest order, payment, cash session or seal; today when it has none): the sede has no
initialisation date of its own, and a day before the first sale or drawer is a day the node did
not yet serve. A quiet day after that anchor seals with zero figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from domain.clock import Clock, business_date
from domain.errors import Conflict, InvalidInput, RuleViolation
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.cash import invoices
from edge.cash.models import DAY_REOPENED, DAY_SEALED, CashSession, DaySeal
from edge.cash.service import OPEN
from edge.closures.service import refuse_hub_closed
from edge.orders.models import Order, Payment
from edge.orders.numbering import seal_day as seal_orders
from edge.orders.numbering import unseal_day as unseal_orders
from edge.samples.models import Sample
from sync.outbox import sync_state


def _cents(value: Any) -> int:
    """A SUM over a ``Cents`` column typed BigInteger: raw céntimos (or None)."""
    return int(value or 0)


def figures(session: Session, *, sede_id: str, day: dt.date) -> dict[str, Any]:
    """Counts and sums of ``day`` read from the rows (what the seal records)."""
    by_status: dict[str, dict[str, int]] = {}
    order_rows = session.exec(
        select(Order.status, func.count(), func.sum(col(Order.total), type_=BigInteger))  # type: ignore[call-overload]
        .where(col(Order.sede_id) == sede_id, col(Order.business_date) == day)
        .group_by(Order.status)
    ).all()
    for status, n, total in order_rows:
        by_status[status] = {"count": int(n), "total_cents": _cents(total)}
    by_method: dict[str, dict[str, int]] = {}
    payment_rows = session.exec(
        select(Payment.method, func.count(), func.sum(col(Payment.amount), type_=BigInteger))  # type: ignore[call-overload]
        .where(col(Payment.sede_id) == sede_id, col(Payment.business_date) == day)
        .group_by(Payment.method)
    ).all()
    for method, n, total in payment_rows:
        by_method[method] = {"count": int(n), "total_cents": _cents(total)}
    sessions = session.exec(
        select(CashSession).where(
            col(CashSession.sede_id) == sede_id, col(CashSession.business_date) == day
        )
    ).all()
    samples = session.exec(
        select(func.count())
        .select_from(Sample)
        .where(col(Sample.sede_id) == sede_id, col(Sample.business_date) == day)
    ).one()
    return {
        "orders": {
            "count": sum(v["count"] for v in by_status.values()),
            "total_cents": sum(v["total_cents"] for v in by_status.values()),
            "by_status": dict(sorted(by_status.items())),
        },
        "payments": {
            "count": sum(v["count"] for v in by_method.values()),
            "total_cents": sum(v["total_cents"] for v in by_method.values()),
            "by_method": dict(sorted(by_method.items())),
        },
        "invoices": invoices.day_figures(session, sede_id=sede_id, day=day),
        "cash_sessions": {
            "count": len(sessions),
            "open": sum(1 for s in sessions if s.status == OPEN),
            "expected_cents": sum(sum(s.expected.values()) for s in sessions),
            "counted_cents": sum(sum(s.declared.values()) for s in sessions),
            "difference_cents": sum(s.difference_cents for s in sessions),
        },
        "samples": {"count": int(samples)},
    }


def find(session: Session, *, sede_id: str, day: dt.date) -> DaySeal | None:
    return session.exec(
        select(DaySeal).where(col(DaySeal.sede_id) == sede_id, col(DaySeal.business_date) == day)
    ).first()


_ACTIVITY = (Order, Payment, CashSession, DaySeal)  # samples and documents follow an order


def first_activity(session: Session, *, sede_id: str) -> dt.date | None:
    """The earliest business day with an order, payment, cash session or seal of ``sede_id``."""
    days = [
        session.exec(
            select(func.min(col(model.business_date))).where(model.sede_id == sede_id)
        ).one()
        for model in _ACTIVITY
    ]
    found = [d for d in days if d is not None]
    return min(found) if found else None


def _active_by(session: Session, *, sede_id: str, day: dt.date) -> bool:
    """Whether ``sede_id`` had any activity on or before ``day``: a LIMIT 1 probe per table that
    stops at its first row (a MIN reads every row of the sede: ~30 ms per 100,000 rows)."""
    return any(
        session.exec(
            select(col(model.business_date))
            .where(model.sede_id == sede_id, col(model.business_date) <= day)
            .limit(1)
        ).first()
        is not None
        for model in _ACTIVITY
    )


def _check_sealable(session: Session, *, sede_id: str, day: dt.date, today: dt.date) -> None:
    """Not the future; not a day before the node's first activity (today when it has none)."""
    if day > today:
        raise RuleViolation(
            "No se puede cerrar un día que aún no empieza.",
            code="day_in_future",
            loc=["body", "date"],
        )
    if day < today and not _active_by(session, sede_id=sede_id, day=day):
        anchor = min(first_activity(session, sede_id=sede_id) or today, today)
        raise RuleViolation(
            f"El día {day:%d/%m/%Y} es anterior al inicio de la actividad de la sede en este "
            f"nodo ({anchor:%d/%m/%Y}): no hay nada que sellar.",
            code="day_before_first_activity",
            loc=["body", "date"],
            extra={"first_day": anchor.isoformat()},
        )


def close_day(
    session: Session,
    *,
    sede_id: str,
    user: Principal,
    clock: Clock,
    day: dt.date | None = None,
    ip: str | None = None,
) -> DaySeal:
    """Seal ``day`` (default: today in Lima), or seal again a reopened day (same row).
    Refused while a session of that day is open."""
    now = clock.now()
    today = business_date(now)
    day = day or today
    _check_sealable(session, sede_id=sede_id, day=day, today=today)
    existing = find(session, sede_id=sede_id, day=day)
    if existing is not None and existing.status == DAY_SEALED:
        raise Conflict(
            f"El día {day:%d/%m/%Y} ya está cerrado.",
            code="day_already_sealed",
            extra={"seal_id": existing.id},
        )
    # A session opened on an earlier day and still open may hold this day's sales too.
    still_open = session.exec(
        select(CashSession.id).where(
            col(CashSession.sede_id) == sede_id,
            col(CashSession.business_date) <= day,
            col(CashSession.status) == OPEN,
        )
    ).all()
    if still_open:
        raise RuleViolation(
            f"Hay {len(still_open)} caja(s) abierta(s) del día; ciérrelas antes de cerrar el día.",
            code="cash_sessions_open",
            extra={"session_ids": list(still_open)},
        )
    # Figures and last_seq are read before the seal row changes (a dirty row would be flushed,
    # and so put in the outbox, by the next query).
    data = figures(session, sede_id=sede_id, day=day)
    last_seq = int(
        session.execute(sa_select(sync_state.c.last_seq).where(sync_state.c.id == 1)).scalar() or 0
    )
    if existing is None:
        seal = DaySeal(
            sede_id=sede_id,
            business_date=day,
            last_seq=last_seq,
            figures=data,
            closed_by=user.user_id,
            created_at=now,
            sealed_at=now,
        )
    else:  # a reopened day sealed again: the same record, with the day's figures of now
        seal = existing
        seal.figures = data
        seal.last_seq = last_seq
        seal.closed_by = user.user_id
        seal.sealed_at = now
        seal.status = DAY_SEALED
    session.add(seal)
    seal_orders(session, sede_id=sede_id, business_date=day)
    _audit(
        session,
        "day.close",
        seal,
        user=user,
        clock=clock,
        ip=ip,
        last_seq=seal.last_seq,
        resealed=existing is not None,
    )
    return seal


def _audit(
    session: Session,
    action: str,
    seal: DaySeal,
    *,
    user: Principal,
    clock: Clock,
    ip: str | None,
    **details: Any,
) -> None:
    """The audit row of a seal's closing or reopening (``details`` beside its day and count)."""
    audit.record(
        session,
        action=action,
        clock=clock,
        sede_id=seal.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="day_seal",
        record_id=seal.id,
        ip=ip,
        details={
            "business_date": seal.business_date.isoformat(),
            "reopen_count": seal.reopen_count,
            **details,
        },
    )


REASON_MIN, REASON_MAX = 5, 300


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise InvalidInput(
            f"Indique el motivo de la reapertura ({REASON_MIN} a {REASON_MAX} caracteres).",
            code="reason_required",
            loc=["body", "reason"],
        )
    return text


def check_reopenable(
    session: Session, *, sede_id: str, day: dt.date, reason: str | None
) -> tuple[DaySeal, str]:
    """The seal of ``day`` and the stripped reason, or the refusal: reason missing (422
    ``reason_required``), no active seal (409 ``day_not_sealed``), or the hub's closure of the
    day already mirrored here (409 ``day_closed_by_hub``)."""
    text = _reason(reason)
    seal = find(session, sede_id=sede_id, day=day)
    if seal is None or seal.status != DAY_SEALED:
        raise Conflict(
            f"El día {day:%d/%m/%Y} no está sellado: no hay nada que reabrir.",
            code="day_not_sealed",
            loc=["path", "day"],
        )
    refuse_hub_closed(session, sede_id=sede_id, day=day)
    return seal, text


def reopen_day(
    session: Session,
    *,
    sede_id: str,
    user: Principal,
    clock: Clock,
    day: dt.date,
    reason: str | None,
    ip: str | None = None,
    hub: dict[str, Any] | None = None,
) -> DaySeal:
    """Reopen the sealed ``day``: the seal row stays (``reabierto``) and the day takes work
    again until it is sealed once more. Refused as :func:`check_reopenable` says. ``hub``: what
    asking the hub found (``edge.cash.hub_check.HubCheck.audit_details``), for the audit row."""
    seal, text = check_reopenable(session, sede_id=sede_id, day=day, reason=reason)
    now = clock.now()
    seal.status = DAY_REOPENED
    seal.reopen_count += 1
    seal.reopened_at = now
    seal.reopened_by = user.user_id
    seal.reopened_by_name = user.full_name
    seal.reopen_reason = text
    session.add(seal)
    unseal_orders(session, sede_id=sede_id, business_date=day)
    _audit(
        session,
        "day.reopen",
        seal,
        user=user,
        clock=clock,
        ip=ip,
        reason=text,
        sealed_last_seq=seal.last_seq,
        sealed_orders=(seal.figures.get("orders") or {}).get("count", 0),
        sealed_payments_cents=(seal.figures.get("payments") or {}).get("total_cents", 0),
        **(hub or {}),
    )
    return seal


def view(session: Session, *, sede_id: str, day: dt.date) -> tuple[DaySeal | None, dict[str, Any]]:
    """The seal row of ``day`` (None if never sealed) and the day's figures: the sealed ones
    while it is sealed, the live ones otherwise (never sealed, or reopened)."""
    found = find(session, sede_id=sede_id, day=day)
    if found is not None and found.status == DAY_SEALED:
        return found, found.figures
    return found, figures(session, sede_id=sede_id, day=day)
