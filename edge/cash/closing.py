"""Closing a cash session (with a supervisor's approval above the threshold), its summary,
and reopening it (supervisor, reason, audited). A closed session is never edited otherwise:
corrections are ``ajuste`` movements (``service.add_adjustment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from domain import cash as rules
from domain.clock import Clock
from domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from domain.money import fmt_soles, from_cents, to_cents
from domain.permissions import has_permission
from edge.audit import service as audit
from edge.auth.models import User
from edge.auth.service import check_approver_password
from edge.auth.tokens import Principal
from edge.cash import figures as figs
from edge.cash.models import CashCount, CashSession
from edge.cash.service import (
    CLOSED,
    OPEN,
    SUPERVISE,
    comparison_of,
    counts_of,
    current_session,
    first_count_of_figures,
    get,
    recount_needs_approval,
    refuse_sealed,
    require_open,
    threshold,
    valid_counts,
)
from edge.closures.service import refuse_hub_closed


def _gap(difference: Decimal) -> str:
    """``faltante de S/ 5.00`` or ``sobrante de S/ 5.00``: what the cashier reads, never
    ``S/ -5.00``."""
    return f"{'faltante' if difference < 0 else 'sobrante'} de {fmt_soles(abs(difference))}"


def _verify_approver(
    session: Session,
    *,
    sede_id: str,
    username: str,
    password: str,
    clock: Clock,
    requester_id: str,
) -> User:
    approver = check_approver_password(
        session,
        clock=clock,
        username=username,
        password=password,
        requester_id=requester_id,
        loc=["body", "approval"],
    )
    ok = (
        approver is not None
        and has_permission(approver.role, SUPERVISE)
        and (approver.role == "admin" or sede_id in approver.sede_ids)
    )
    if not ok or approver is None:
        raise Forbidden(
            "Usuario o contraseña del supervisor incorrectos, o sin permiso para aprobar"
            " diferencias de caja.",
            code="approval_invalid",
            loc=["body", "approval"],
        )
    return approver


@dataclass
class CloseResult:
    cash_session: CashSession
    comparison: rules.Comparison
    figures: figs.SessionFigures
    threshold: Decimal


def close(
    session: Session,
    *,
    session_id: str,
    user: Principal,
    clock: Clock,
    note: str | None,
    approval: tuple[str, str] | None,
    ip: str | None = None,
) -> CloseResult:
    cs = get(session, session_id=session_id, user=user)
    require_open(cs)
    # After a reopen only a count made later than the reopen is valid.
    valid = valid_counts(session, cs)
    latest = valid[-1] if valid else None
    if latest is None:
        raise RuleViolation(
            "Cuente la caja (arqueo) antes de cerrarla.", code="cash_count_required"
        )
    now = clock.now()
    current = figs.compute(session, cs, now=now)
    if figs.expected_cents(current.expected) != latest.expected:
        raise RuleViolation(
            "Hubo cobros o movimientos después del arqueo; vuelva a contar la caja.",
            code="cash_count_stale",
        )
    comparison = comparison_of(latest)
    limit = threshold(session, sede_id=cs.sede_id)
    # A recount of the same figures cannot make the first count's difference disappear.
    first = first_count_of_figures(valid, latest)
    first_comparison = comparison_of(first)
    approver: User | None = None
    if rules.needs_approval(comparison, threshold=limit) or recount_needs_approval(
        first, latest, limit
    ):
        if approval is None:
            if rules.needs_approval(comparison, threshold=limit):
                why = f"El {_gap(comparison.difference)} supera el límite de"
            else:
                why = (
                    "La caja se volvió a contar: el primer arqueo tuvo un"
                    f" {_gap(first_comparison.difference)}, mayor que el límite de"
                )
            raise RuleViolation(
                f"{why} {fmt_soles(limit)}; se requiere la aprobación de un supervisor.",
                code="cash_difference_needs_approval",
                loc=["body", "approval"],
                extra={
                    "threshold": f"{limit:.2f}",
                    "first_count_difference": f"{first_comparison.difference:.2f}",
                },
            )
        if not (note or "").strip():
            raise InvalidInput(
                "Explique la diferencia en la nota de cierre.",
                code="cash_difference_reason_required",
                loc=["body", "note"],
            )
        approver = _verify_approver(
            session,
            sede_id=cs.sede_id,
            username=approval[0],
            password=approval[1],
            clock=clock,
            requester_id=user.user_id,
        )
    cs.status = CLOSED
    cs.closed_at = now
    cs.closed_by = user.user_id
    cs.expected = figs.expected_cents(current.expected)
    cs.declared = {line.method: to_cents(line.counted) for line in comparison.lines}
    cs.difference_cents = to_cents(comparison.difference)
    cs.difference_approved_by = approver.id if approver else None
    cs.count_id = latest.id
    cs.closing_note = note
    session.add(cs)
    details: dict[str, Any] = {
        "expected": cs.expected,
        "counted": cs.declared,
        "difference_cents": cs.difference_cents,
        "approved_by": approver.username if approver else None,
        "note": note,
        "counts": len(valid),
        "first_count_difference_cents": to_cents(first_comparison.difference),
    }
    audit.record(
        session,
        action="cash.close",
        clock=clock,
        sede_id=cs.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="cash_session",
        record_id=cs.id,
        ip=ip,
        details=details,
    )
    if approver is not None:
        audit.record(
            session,
            action="cash.difference_approved",
            clock=clock,
            sede_id=cs.sede_id,
            user_id=approver.id,
            username=approver.username,
            record_type="cash_session",
            record_id=cs.id,
            ip=ip,
            details={
                "difference_cents": cs.difference_cents,
                "first_count_difference_cents": to_cents(first_comparison.difference),
                "threshold": f"{limit:.2f}",
            },
        )
    return CloseResult(cs, comparison, current, limit)


def summary(session: Session, *, cs: CashSession, clock: Clock) -> CloseResult:
    """The close summary of a closed session (figures as stored at close)."""
    if cs.status != CLOSED:
        raise Conflict("La sesión sigue abierta (arqueo ciego).", code="cash_session_not_closed")
    counted = {m: from_cents(v) for m, v in cs.declared.items()}
    comparison = rules.compare({m: from_cents(v) for m, v in cs.expected.items()}, counted)
    return CloseResult(
        cs,
        comparison,
        figs.compute(session, cs, now=clock.now()),
        threshold(session, sede_id=cs.sede_id),
    )


def reopen(
    session: Session,
    *,
    session_id: str,
    user: Principal,
    clock: Clock,
    reason: str,
    ip: str | None = None,
) -> CashSession:
    cs = get(session, session_id=session_id, user=user)
    if cs.status != CLOSED:
        raise Conflict("La sesión de caja no está cerrada.", code="cash_session_not_closed")
    refuse_sealed(session, sede_id=cs.sede_id, day=cs.business_date)
    refuse_hub_closed(session, sede_id=cs.sede_id, day=cs.business_date)
    other = current_session(session, sede_id=cs.sede_id, cashier_id=cs.cashier_id)
    if other is not None:
        raise Conflict(
            "El cajero tiene otra caja abierta; ciérrela antes de reabrir esta.",
            code="cash_session_already_open",
            extra={"session_id": other.id},
        )
    previous = {
        "closed_at": cs.closed_at.isoformat() if cs.closed_at else None,
        "closed_by": cs.closed_by,
        "expected": cs.expected,
        "counted": cs.declared,
        "difference_cents": cs.difference_cents,
        "approved_by": cs.difference_approved_by,
        "count_id": cs.count_id,
    }
    now = clock.now()
    cs.status = OPEN
    cs.closed_at = None
    cs.closed_by = None
    cs.difference_approved_by = None
    cs.count_id = None
    cs.reopened_count += 1
    cs.reopened_at = now
    cs.reopened_by = user.user_id
    cs.reopen_reason = reason
    session.add(cs)
    audit.record(
        session,
        action="cash.reopen",
        clock=clock,
        sede_id=cs.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="cash_session",
        record_id=cs.id,
        ip=ip,
        details={"reason": reason, "previous": previous},
    )
    return cs


@dataclass
class Detail:
    cash_session: CashSession
    counts: list[tuple[CashCount, rules.Comparison]]
    threshold: Decimal
    summary: CloseResult | None


def detail(session: Session, *, session_id: str, user: Principal, clock: Clock) -> Detail:
    """A session, its counts with their comparisons and, once closed, its summary."""
    cs = get(session, session_id=session_id, user=user)
    return Detail(
        cash_session=cs,
        counts=[(c, comparison_of(c)) for c in counts_of(session, cs)],
        threshold=threshold(session, sede_id=cs.sede_id),
        summary=summary(session, cs=cs, clock=clock) if cs.status == CLOSED else None,
    )
