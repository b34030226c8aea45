"""Cash sessions (caja): open, movements, blind count, close with approval, reopen, adjustments.

Services take keyword-only arguments and never commit (the caller's unit of work does).
The orders service calls :func:`open_session_for` / :func:`current_session` inside the sale's
transaction, so a cash payment lands in the cashier's open session.

Blind count: while a session is open nothing here returns its expected figures; only the
response to a count (and the close summary) compares expected with what the cashier counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select

from domain import cash as rules
from domain.clock import Clock, business_date
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from domain.money import fmt_soles, from_cents, to_cents
from domain.permissions import has_permission
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.cash import figures as figs
from edge.cash.models import DAY_SEALED, CashCount, CashMovement, CashSession, DaySeal
from edge.closures.service import refuse_hub_closed
from edge.config.models import Sede

OPEN = "abierta"
CLOSED = "cerrada"
SUPERVISE = "cash.approve_difference"


# ------------------------------------------------------------------ for the orders service
# Built once: every sale asks (building and keying the statement cost more than running it).
_CURRENT_SESSION = select(CashSession).where(
    col(CashSession.sede_id) == bindparam("sede_id"),
    col(CashSession.cashier_id) == bindparam("cashier_id"),
    col(CashSession.status) == OPEN,
)


def current_session(session: Session, *, sede_id: str, cashier_id: str) -> CashSession | None:
    """The cashier's open session in this sede, if any."""
    params = {"sede_id": sede_id, "cashier_id": cashier_id}
    return session.exec(_CURRENT_SESSION, params=params).first()


def open_session_for(session: Session, *, sede_id: str, cashier_id: str) -> CashSession:
    """The cashier's open session; a cash payment without one is refused."""
    found = current_session(session, sede_id=sede_id, cashier_id=cashier_id)
    if found is None:
        raise RuleViolation(
            "Abra la caja antes de cobrar en efectivo.",
            code="cash_session_closed",
            loc=["body", "payments"],
        )
    return found


# ------------------------------------------------------------------ helpers
def is_supervisor(user: Principal) -> bool:
    return has_permission(user.role, SUPERVISE)


def get(session: Session, *, session_id: str, user: Principal) -> CashSession:
    cs = session.get(CashSession, session_id)
    if cs is None:
        raise NotFound(
            "La sesión de caja no existe.", code="cash_session_not_found", loc=["path", "id"]
        )
    if cs.cashier_id != user.user_id and not is_supervisor(user):
        raise Forbidden(
            "Solo el cajero de la sesión o un supervisor pueden verla.", code="cash_session_foreign"
        )
    return cs


def require_open(cs: CashSession) -> None:
    if cs.status != OPEN:
        raise Conflict("La sesión de caja ya está cerrada.", code="cash_session_not_open")


def _sede(session: Session, sede_id: str) -> Sede:
    sede = session.get(Sede, sede_id)
    if sede is None:
        raise NotFound("La sede de este nodo no está configurada.", code="sede_not_found")
    return sede


def is_sealed(session: Session, *, sede_id: str, day: dt.date) -> bool:
    """Whether ``day`` has an active seal (a reopened day is not sealed)."""
    stmt = select(DaySeal.id).where(
        col(DaySeal.sede_id) == sede_id,
        col(DaySeal.business_date) == day,
        col(DaySeal.status) == DAY_SEALED,
    )
    with session.no_autoflush:  # the check needs none of the caller's pending rows
        return session.exec(stmt).first() is not None


def refuse_sealed(
    session: Session, *, sede_id: str, day: dt.date, then: str = "; no admite cambios de caja."
) -> None:
    """409 ``day_already_sealed`` when ``day`` has its day seal: its counts and sums are final
    (the hub reconciles against them) until a supervisor reopens the day. ``then`` ends the
    message with what is refused."""
    if is_sealed(session, sede_id=sede_id, day=day):
        raise Conflict(
            f"El día {day:%d/%m/%Y} ya fue cerrado (sellado){then}", code="day_already_sealed"
        )


def _parse_counts(denominations: dict[str, int]) -> dict[str, int]:
    """``domain.cash.parse_counts`` with its error located in the request body."""
    try:
        return rules.parse_counts(denominations)
    except InvalidInput as exc:
        raise InvalidInput(exc.msg, code=exc.code, loc=["body", *exc.loc]) from None


# ------------------------------------------------------------------ open / list
def open_session(
    session: Session,
    *,
    sede_id: str,
    user: Principal,
    clock: Clock,
    opening_float: Decimal | None,
    denominations: dict[str, int] | None,
    ip: str | None = None,
) -> CashSession:
    counts = _parse_counts(denominations or {})
    if opening_float is None and not denominations:
        raise InvalidInput(
            "Indique el fondo inicial o su detalle por denominación.",
            code="opening_float_required",
            loc=["body", "opening_float"],
        )
    total = rules.count_total(counts) if denominations else None
    if opening_float is not None and total is not None and total != opening_float:
        raise InvalidInput(
            f"El detalle por denominación suma {fmt_soles(total)}, no {fmt_soles(opening_float)}.",
            code="opening_float_mismatch",
            loc=["body", "denominations"],
        )
    amount = opening_float if opening_float is not None else total
    assert amount is not None
    rules.check_amount(amount, loc=["body", "opening_float"])
    existing = current_session(session, sede_id=sede_id, cashier_id=user.user_id)
    if existing is not None:
        raise Conflict(
            "Ya tiene una caja abierta; ciérrela antes de abrir otra.",
            code="cash_session_already_open",
            extra={"session_id": existing.id},
        )
    now = clock.now()
    day = business_date(now)
    _sede(session, sede_id)
    refuse_sealed(session, sede_id=sede_id, day=day)
    cs = CashSession(
        sede_id=sede_id,
        cashier_id=user.user_id,
        opening_float=amount,
        opening_denominations=counts,
        opened_at=now,
        business_date=day,
    )
    session.add(cs)
    _audit_cash(session, cs, "cash.open", user, clock, ip, {"opening_float": f"{amount:.2f}"})
    return cs


def _audit_cash(
    session: Session, cs: CashSession, action: str, user: Principal, clock: Clock,
    ip: str | None, details: dict[str, str],
) -> None:  # fmt: skip
    audit.record(
        session, action=action, clock=clock, sede_id=cs.sede_id, user_id=user.user_id,
        username=user.username, record_type="cash_session", record_id=cs.id, ip=ip,
        details=details,
    )  # fmt: skip


@dataclass(frozen=True)
class SessionFilter:
    status: str | None = None
    cashier_id: str | None = None
    business_date: dt.date | None = None


def list_sessions(
    session: Session,
    *,
    sede_id: str,
    user: Principal,
    filters: SessionFilter,
    limit: int,
    offset: int,
) -> tuple[list[CashSession], int]:
    """Sessions newest first; a cashier without supervision rights sees only their own."""
    where: list[Any] = [col(CashSession.sede_id) == sede_id]
    cashier = filters.cashier_id if is_supervisor(user) else user.user_id
    if cashier:
        where.append(col(CashSession.cashier_id) == cashier)
    if filters.status:
        where.append(col(CashSession.status) == filters.status)
    if filters.business_date:
        where.append(col(CashSession.business_date) == filters.business_date)
    total = session.exec(select(func.count()).select_from(CashSession).where(*where)).one()
    rows = session.exec(
        select(CashSession)
        .where(*where)
        .order_by(col(CashSession.opened_at).desc(), col(CashSession.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total)


def counts_of(session: Session, cs: CashSession) -> list[CashCount]:
    stmt = (
        select(CashCount)
        .where(col(CashCount.session_id) == cs.id)
        .order_by(col(CashCount.created_at), col(CashCount.id))
    )
    return list(session.exec(stmt).all())


def valid_counts(session: Session, cs: CashSession) -> list[CashCount]:
    """The session's counts since its last reopening (only those can close it)."""
    reopened = cs.reopened_at
    return [c for c in counts_of(session, cs) if reopened is None or c.created_at > reopened]


def first_count_of_figures(counts: list[CashCount], entry: CashCount) -> CashCount:
    """The first of ``counts`` made against ``entry``'s expected figures. A count answers with
    the expected figures, so the count is blind only once: a recount of the same figures does
    not replace the first one for the approval rule (:func:`recount_needs_approval`)."""
    return next((c for c in counts if c.expected == entry.expected), entry)


def recount_needs_approval(first: CashCount, entry: CashCount, limit: Decimal) -> bool:
    """Whether ``entry`` recounts figures whose first count needed a supervisor."""
    return first.id != entry.id and rules.needs_approval(comparison_of(first), threshold=limit)


# ------------------------------------------------------------------ movements
def add_movement(
    session: Session,
    *,
    session_id: str,
    user: Principal,
    clock: Clock,
    kind: str,
    amount: Decimal,
    reason: str,
    ip: str | None = None,
) -> CashMovement:
    cs = get(session, session_id=session_id, user=user)
    require_open(cs)
    if kind not in ("ingreso", "egreso"):
        raise InvalidInput(
            "El tipo debe ser ingreso o egreso.", code="movement_kind_invalid", loc=["body", "kind"]
        )
    rules.check_amount(amount, loc=["body", "amount"])
    if amount <= 0:
        raise InvalidInput(
            "El monto debe ser mayor que cero.", code="amount_not_positive", loc=["body", "amount"]
        )
    now = clock.now()
    if kind == "egreso":
        on_hand = figs.cash_on_hand(session, cs)
        if amount > on_hand:
            # The figure itself is not revealed: the count is blind.
            raise RuleViolation(
                "El egreso supera el efectivo disponible en caja.",
                code="cash_insufficient",
                loc=["body", "amount"],
            )
    movement = CashMovement(
        session_id=cs.id,
        sede_id=cs.sede_id,
        kind=kind,
        amount=amount,
        reason=reason,
        user_id=user.user_id,
        business_date=business_date(now),
        created_at=now,
    )
    session.add(movement)
    details = {
        "kind": kind,
        "amount": f"{amount:.2f}",
        "reason": reason,
        "movement_id": movement.id,
    }
    _audit_cash(session, cs, f"cash.{kind}", user, clock, ip, details)
    return movement


def add_adjustment(
    session: Session,
    *,
    session_id: str,
    user: Principal,
    clock: Clock,
    amount: Decimal,
    reason: str,
    ip: str | None = None,
) -> CashMovement:
    """A correction of a closed session: a signed ``ajuste`` row linked to it, audited."""
    cs = get(session, session_id=session_id, user=user)
    if cs.status != CLOSED:
        raise Conflict(
            "Solo se ajusta una sesión cerrada; una sesión abierta se corrige con movimientos.",
            code="cash_session_not_closed",
        )
    refuse_hub_closed(session, sede_id=cs.sede_id, day=cs.business_date)
    rules.check_amount(amount, loc=["body", "amount"])
    if amount == 0:
        raise InvalidInput(
            "El ajuste no puede ser cero.", code="amount_zero", loc=["body", "amount"]
        )
    now = clock.now()
    movement = CashMovement(
        session_id=cs.id,
        sede_id=cs.sede_id,
        kind="ajuste",
        amount=amount,
        reason=reason,
        user_id=user.user_id,
        business_date=business_date(now),
        created_at=now,
    )
    session.add(movement)
    audit.record(
        session,
        action="cash.adjust",
        clock=clock,
        sede_id=cs.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="cash_session",
        record_id=cs.id,
        ip=ip,
        details={"amount": f"{amount:.2f}", "reason": reason, "movement_id": movement.id},
    )
    return movement


# ------------------------------------------------------------------ blind count
def count(
    session: Session,
    *,
    session_id: str,
    user: Principal,
    clock: Clock,
    denominations: dict[str, int],
    declared: dict[str, Decimal],
    note: str | None,
) -> tuple[CashCount, rules.Comparison, CashSession]:
    cs = get(session, session_id=session_id, user=user)
    require_open(cs)
    counts = _parse_counts(denominations)
    cash_total = rules.count_total(counts)
    now = clock.now()
    expected = figs.compute(session, cs, now=now).expected
    counted = {rules.CASH: cash_total}
    for method in rules.NON_CASH_METHODS:
        value = declared.get(method, Decimal("0.00"))
        counted[method] = rules.check_amount(value, loc=["body", "declared", method])
    entry = CashCount(
        session_id=cs.id,
        sede_id=cs.sede_id,
        denominations=counts,
        cash_total=cash_total,
        declared_other={m: to_cents(counted[m]) for m in rules.NON_CASH_METHODS},
        expected=figs.expected_cents(expected),
        note=note,
        counted_by=user.user_id,
        business_date=business_date(now),
        created_at=now,
    )
    session.add(entry)
    return entry, rules.compare(expected, counted), cs


def comparison_of(entry: CashCount) -> rules.Comparison:
    counted = {rules.CASH: entry.cash_total}
    counted.update({m: from_cents(v) for m, v in entry.declared_other.items()})
    return rules.compare({m: from_cents(v) for m, v in entry.expected.items()}, counted)


def threshold(session: Session, *, sede_id: str) -> Decimal:
    return from_cents(_sede(session, sede_id).cash_difference_threshold_cents)
