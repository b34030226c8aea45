"""Who may give a discount, and a supervisor's approval entered at the counter."""

from __future__ import annotations

from sqlmodel import Session

from domain.clock import Clock
from domain.errors import Forbidden, RuleViolation
from domain.permissions import Role, check_permission, has_permission
from edge.auth.service import check_approver_password
from edge.auth.tokens import Principal
from edge.orders.schemas import DiscountIn

APPROVER_ROLES = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def check_may_discount(user: Principal) -> None:
    """Any discount needs ``discount.apply`` (or ``discount.approve``)."""
    if has_permission(user.role, "discount.approve"):
        return
    try:
        check_permission(user.role, "discount.apply")
    except Forbidden as exc:
        raise Forbidden(exc.msg, code=exc.code, loc=["body", "discount"], extra=exc.extra) from None


def approve_discount(
    session: Session,
    *,
    d: DiscountIn,
    required: bool,
    user: Principal,
    sede_id: str,
    clock: Clock,
) -> str | None:
    """The approver's user id (``None`` when no approval is needed).

    A user who holds ``discount.approve`` approves their own discount; otherwise a supervisor
    (or admin) of this sede types their credentials at the counter, verified against the
    local user mirror (works offline).
    """
    if not required:
        return None
    if has_permission(user.role, "discount.approve"):
        return user.user_id
    loc = ["body", "discount"]
    if not d.approver_username or not d.approver_password:
        raise RuleViolation(
            "El descuento supera el límite permitido: requiere la aprobación de un supervisor"
            " (usuario y contraseña).",
            code="discount_needs_approval",
            loc=loc,
        )
    approver = check_approver_password(
        session,
        clock=clock,
        username=d.approver_username,
        password=d.approver_password,
        requester_id=user.user_id,
        loc=[*loc, "approver_password"],
    )
    if approver is None:
        raise RuleViolation(
            "Usuario o contraseña del supervisor incorrectos.",
            code="approval_invalid",
            loc=[*loc, "approver_password"],
        )
    allowed = (
        approver.role in APPROVER_ROLES
        and has_permission(approver.role, "discount.approve")
        and (approver.role == Role.ADMIN.value or sede_id in approver.sede_ids)
    )
    if not allowed:
        raise RuleViolation(
            f"«{approver.username}» no puede aprobar descuentos en esta sede.",
            code="approver_not_allowed",
            loc=[*loc, "approver_username"],
        )
    return approver.id
