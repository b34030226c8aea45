"""A rejected tube and its recollection ("muestra rechazada → retoma").

:func:`reject` runs in the caller's unit of work and does everything at once, or nothing: the
taken sample becomes ``rechazada`` (reason, note, who and when), a replacement sample is born
``pendiente`` for the same order, sample type, tube and tests, with a new barcode from the
sede's per-day counter of the *current* business day (the day a sealed day's figures already
count is never touched), an audit event ``sample.reject`` is written, and the order's change
hooks run (``edge.orders.hooks.order_changed``), so the laboratory queue sends the new specimen
when the order had already been queued or sent. Money is untouched: a recollection is free.

Both rows replicate through the outbox like any sample (the hub stores the whole row image).
The order keeps its status; listings expose :func:`edge.samples.service.recollection_pending`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from domain.barcode import format_sample_barcode
from domain.clock import Clock, business_date
from domain.errors import Conflict, InvalidInput, NotFound
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.cash.service import refuse_sealed
from edge.config.models import Sede
from edge.orders import hooks
from edge.orders.models import Order
from edge.samples import service as samples_service
from edge.samples.models import PENDING, REJECTED, TAKEN, RejectReason, Sample

CLOSED_ORDER_STATUSES = {
    "anulada": ("order_cancelled", "La orden está anulada; no se registran retomas."),
    "entregada": ("order_delivered", "La orden ya fue entregada; no se registran retomas."),
}
NOTE_MIN, NOTE_MAX = 3, 300


@dataclass(frozen=True)
class Rejection:
    rejected: Sample
    replacement: Sample


def _clean_note(reason: RejectReason, note: str | None) -> str | None:
    cleaned = " ".join((note or "").split()) or None
    if cleaned is not None and not NOTE_MIN <= len(cleaned) <= NOTE_MAX:
        raise InvalidInput(
            f"La observación debe tener entre {NOTE_MIN} y {NOTE_MAX} caracteres.",
            code="note_length",
            loc=["body", "note"],
        )
    if reason is RejectReason.OTRA and cleaned is None:
        raise InvalidInput(
            "Indique en la observación por qué se rechazó la muestra (motivo «otra»).",
            code="note_required",
            loc=["body", "note"],
        )
    return cleaned


def _refuse(sample: Sample, order: Order, session: Session, clock: Clock) -> None:
    if order.status in CLOSED_ORDER_STATUSES:
        code, msg = CLOSED_ORDER_STATUSES[order.status]
        raise Conflict(msg, code=code, loc=["path", "sample_id"])
    if sample.status == REJECTED:
        raise Conflict(
            "La muestra ya fue rechazada; su retoma ya está registrada.",
            code="sample_already_rejected",
            loc=["path", "sample_id"],
        )
    if sample.status != TAKEN:
        raise Conflict(
            "Solo se rechaza una muestra ya tomada; esta sigue pendiente.",
            code="sample_not_taken",
            loc=["path", "sample_id"],
        )
    refuse_sealed(
        session,
        sede_id=order.sede_id,
        day=business_date(clock.now()),
        then="; reábralo para registrar la retoma.",
    )


def reject(
    session: Session,
    *,
    sample_id: str,
    reason: RejectReason,
    note: str | None,
    user: Principal,
    clock: Clock,
    ip: str | None = None,
) -> Rejection:
    """Reject a taken sample and create its replacement (see the module docstring)."""
    sample = session.get(Sample, sample_id)
    if sample is None:
        raise NotFound("La muestra no existe.", code="sample_not_found", loc=["path", "sample_id"])
    order = session.get(Order, sample.order_id)
    if order is None:  # pragma: no cover - foreign key
        raise NotFound("La orden no existe.", code="order_not_found")
    reason = RejectReason(reason)
    cleaned = _clean_note(reason, note)
    _refuse(sample, order, session, clock)
    sede = session.get(Sede, sample.sede_id)
    if sede is None:
        raise NotFound("La sede de la muestra no está configurada.", code="sede_not_found")
    now = clock.now()
    day = business_date(now)
    replacement = Sample(
        order_id=sample.order_id,
        sede_id=sample.sede_id,
        barcode=format_sample_barcode(
            sede.code, day, samples_service.next_seq(session, sede=sede, day=day)
        ),
        sample_type=sample.sample_type,
        tube=sample.tube,
        item_ids=list(sample.item_ids),
        status=PENDING,
        business_date=day,
        created_at=now,
        replaces_id=sample.id,
    )
    sample.status = REJECTED
    sample.reject_reason = reason.value
    sample.reject_note = cleaned
    sample.rejected_at = now
    sample.rejected_by = user.user_id
    sample.replaced_by_id = replacement.id
    session.add(sample)
    session.add(replacement)
    audit.record(
        session,
        action="sample.reject",
        clock=clock,
        sede_id=sample.sede_id,
        user_id=user.user_id,
        username=user.username,
        record_type="sample",
        record_id=sample.id,
        ip=ip,
        details={
            "order_id": order.id,
            "order_number": order.number,
            "barcode": sample.barcode,
            "reason": reason.value,
            "note": cleaned,
            "replacement_id": replacement.id,
            "replacement_barcode": replacement.barcode,
        },
    )
    hooks.order_changed(session=session, order=order, user=user, clock=clock)
    return Rejection(rejected=sample, replacement=replacement)
