"""Samples of an order (one per tube), barcodes, sample taking and label printing.

:func:`create_samples_for_order` runs inside the order's own transaction (the orders service
calls it through its ``on_order_created`` hook): tests that share a (sample type, tube) share one
sample; each sample gets a barcode ``{SEDE}{YYMMDD}{NNNN}`` (``domain.barcode``) from a per-sede,
per-day counter updated in the same transaction, so numbers never repeat nor collide with
another sede's.

Taking the last pending sample of an order moves it from ``registrada`` to
``muestra_tomada`` with its status event (rejected tubes do not count: their replacement does).
Rejecting a taken tube and drawing it again lives in :mod:`edge.samples.rejection`; taking the
replacement tells the laboratory queue (the order changed: its specimen now has a collection
time). Labels: rejected tubes are left out unless asked for; when some tubes were never printed
(a replacement), only those print, free; otherwise it is a reprint, which needs a reason and the
``label.reprint`` permission and is audited; every print is in the access log (it shows the
patient's data). An urgent order's labels say "URGENTE".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, select

from domain.barcode import format_sample_barcode, parse_sample_barcode
from domain.clock import Clock
from domain.errors import Conflict, NotFound, RuleViolation
from domain.permissions import check_permission
from domain.physician import Priority
from edge import counters
from edge.audit import service as audit
from edge.auth.tokens import Principal
from edge.catalog.models import CatalogService
from edge.config.models import Sede
from edge.orders import fresh, hooks
from edge.orders import service as orders_service
from edge.orders.models import Order, OrderItem
from edge.orders.queries import items_in_order
from edge.patients.models import Patient
from edge.samples import labels as label_render
from edge.samples.models import PENDING, REJECTED, TAKEN, Sample, SampleCounter

REGISTERED = "registrada"
SAMPLE_TAKEN = "muestra_tomada"
CANCELLED = "anulada"


# ------------------------------------------------------------------ creation
_BUMP_SQL = (
    "UPDATE sample_counter SET last_seq = last_seq + 1"
    " WHERE sede_id = ? AND business_date = ? RETURNING last_seq"
)


def next_seq(session: Session, *, sede: Sede, day: Any) -> int:
    """The next sample sequence of ``sede`` on ``day`` (counter row updated in the session)."""
    seq = counters.bump(
        session, SampleCounter, (sede.id, day), _BUMP_SQL, (sede.id, day.isoformat())
    )
    if seq is not None:
        return seq
    counter = session.get(SampleCounter, (sede.id, day))
    if counter is None:
        # Start after any barcode already minted for the day (e.g. a counter lost in a restore).
        prefix = format_sample_barcode(sede.code, day, 1)[:-4]
        last = session.exec(
            select(Sample.barcode)
            .where(col(Sample.sede_id) == sede.id, col(Sample.barcode).startswith(prefix))
            .order_by(col(Sample.barcode).desc())
        ).first()
        counter = SampleCounter(
            sede_id=sede.id,
            business_date=day,
            last_seq=parse_sample_barcode(last).seq if last else 0,
        )
    counter.last_seq += 1
    session.add(counter)
    return counter.last_seq


def _sample_key(session: Session, item: OrderItem) -> tuple[str, str] | None:
    sample_type, tube = item.sample_type.strip(), item.tube.strip()
    if not sample_type and not tube:
        service = session.get(CatalogService, item.service_id)
        if service is None or service.is_panel:
            return None
        sample_type, tube = service.sample_type.strip(), service.tube.strip()
    if not sample_type and not tube:
        return None  # a service that needs no sample
    return sample_type, tube


def create_samples_for_order(
    *, session: Session, order: Order, user: Principal | None = None, clock: Clock
) -> list[Sample]:
    """One sample per (sample type, tube) of the order's tests; idempotent per order."""
    if not fresh.has_none(session, order.id, Sample):
        existing = list_for_order(session, order_id=order.id)
        if existing:
            return existing
    sede = session.get(Sede, order.sede_id)
    if sede is None:
        raise NotFound("La sede de la orden no está configurada.", code="sede_not_found")
    items = items_in_order(session, order_id=order.id)
    parents = {i.parent_item_id for i in items if i.parent_item_id}
    groups: dict[tuple[str, str], list[str]] = {}
    for item in items:
        if item.id in parents:
            continue  # a panel: its tests carry the samples
        key = _sample_key(session, item)
        if key is not None:
            groups.setdefault(key, []).append(item.id)
    now = clock.now()
    samples: list[Sample] = []
    for (sample_type, tube), item_ids in groups.items():
        seq = next_seq(session, sede=sede, day=order.business_date)
        sample = Sample(
            order_id=order.id,
            sede_id=order.sede_id,
            barcode=format_sample_barcode(sede.code, order.business_date, seq),
            sample_type=sample_type,
            tube=tube,
            item_ids=item_ids,
            business_date=order.business_date,
            created_at=now,
        )
        session.add(sample)
        samples.append(sample)
    return samples


def _register_hook() -> None:
    """Register with the orders service's hook registry (samples are made in the sale)."""
    hooks.on_order_created(create_samples_for_order)


# ------------------------------------------------------------------ reading and taking
def _order(session: Session, order_id: str) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("La orden no existe.", code="order_not_found", loc=["path", "order_id"])
    return order


def list_for_order(session: Session, *, order_id: str) -> list[Sample]:
    stmt = select(Sample).where(col(Sample.order_id) == order_id).order_by(col(Sample.barcode))
    return list(session.exec(stmt).all())


def samples_of_order(session: Session, *, order_id: str) -> list[Sample]:
    """The order's samples (404 if the order does not exist)."""
    _order(session, order_id)
    return list_for_order(session, order_id=order_id)


def _set_order_status(
    session: Session, *, order: Order, to_status: str, user: Principal, clock: Clock
) -> None:
    """Through the orders service's ``change_status`` (transition rules, status event)."""
    orders_service.change_status(
        session, order_id=order.id, to_status=to_status, user=user, clock=clock
    )
    session.add(order)


def take(session: Session, *, sample_id: str, user: Principal, clock: Clock) -> Sample:
    sample = session.get(Sample, sample_id)
    if sample is None:
        raise NotFound("La muestra no existe.", code="sample_not_found", loc=["path", "sample_id"])
    order = _order(session, sample.order_id)
    if order.status == CANCELLED:
        raise RuleViolation("La orden está anulada.", code="order_cancelled")
    if sample.status == TAKEN:
        raise Conflict("La muestra ya fue tomada.", code="sample_already_taken")
    if sample.status == REJECTED:
        raise Conflict(
            "La muestra fue rechazada; tome su retoma.",
            code="sample_rejected",
            loc=["path", "sample_id"],
        )
    sample.status = TAKEN
    sample.taken_at = clock.now()
    sample.taken_by = user.user_id
    session.add(sample)
    pending = [
        s
        for s in list_for_order(session, order_id=order.id)
        if s.status == PENDING and s.id != sample.id
    ]
    if not pending and order.status == REGISTERED:
        _set_order_status(session, order=order, to_status=SAMPLE_TAKEN, user=user, clock=clock)
    if sample.replaces_id is not None and order.status not in hooks.QUIET_STATUSES:
        # a recollection: the laboratory learns when the new specimen was drawn
        hooks.order_changed(session=session, order=order, user=user, clock=clock)
    return sample


def recollection_pending(samples: list[Sample]) -> bool:
    """Whether a rejected tube's replacement is still to be drawn ("retoma pendiente")."""
    return any(s.status == PENDING and s.replaces_id is not None for s in samples)


# ------------------------------------------------------------------ labels
@dataclass(frozen=True)
class LabelOutput:
    content: bytes
    media_type: str
    filename: str
    reprint: bool


def labels(
    session: Session,
    *,
    order_id: str,
    user: Principal,
    clock: Clock,
    fmt: Literal["pdf", "zpl"],
    reason: str | None,
    sample_id: str | None = None,
    ip: str | None = None,
    include_rejected: bool = False,
) -> LabelOutput:
    order = _order(session, order_id)
    samples = list_for_order(session, order_id=order.id)
    if sample_id is not None:
        samples = [s for s in samples if s.id == sample_id]
    elif not include_rejected:
        samples = [s for s in samples if s.status != REJECTED]
    if not samples:
        raise NotFound(
            "La orden no tiene muestras que etiquetar.",
            code="samples_not_found",
            loc=["path", "order_id"],
        )
    unprinted = [s for s in samples if s.label_prints == 0]
    if unprinted and sample_id is None:
        samples = unprinted  # a tube drawn again (retoma): only its label, as a first print
    reprint = any(s.label_prints > 0 for s in samples)
    reason = (reason or "").strip() or None
    if reprint:
        check_permission(user.role, "label.reprint")
        if reason is None or len(reason) < 3:
            raise RuleViolation(
                "Las etiquetas ya se imprimieron; indique el motivo de la reimpresión.",
                code="reprint_reason_required",
                loc=["query", "reason"],
            )
    patient = session.get(Patient, order.patient_id)
    if patient is None:
        raise NotFound("El paciente de la orden no existe.", code="patient_not_found")
    data = [
        label_render.LabelData(
            patient_name=f"{patient.last_names}, {patient.first_names}",
            document=f"{_DOC_NAMES.get(patient.doc_type, patient.doc_type)} {patient.doc_number}",
            order_number=order.number,
            tube=s.tube,
            sample_type=s.sample_type,
            barcode=s.barcode,
            urgent=order.priority == Priority.URGENTE,
        )
        for s in samples
    ]
    for s in samples:
        s.label_prints += 1
        session.add(s)
    barcodes = [s.barcode for s in samples]
    audit.log_access(
        session,
        action="label.print",
        clock=clock,
        sede_id=order.sede_id,
        user_id=user.user_id,
        patient_id=patient.id,
        ip=ip,
        details={"order_id": order.id, "barcodes": barcodes, "format": fmt, "reprint": reprint},
    )
    if reprint:
        audit.record(
            session,
            action="label.reprint",
            clock=clock,
            sede_id=order.sede_id,
            user_id=user.user_id,
            username=user.username,
            record_type="order",
            record_id=order.id,
            ip=ip,
            details={"reason": reason, "barcodes": barcodes, "format": fmt},
        )
    if fmt == "pdf":
        return LabelOutput(
            label_render.render_pdf(data), "application/pdf", f"{order.number}.pdf", reprint
        )
    text = label_render.render_zpl(data).encode("utf-8")
    return LabelOutput(text, "text/plain; charset=utf-8", f"{order.number}.zpl", reprint)


_DOC_NAMES = {"0": "S/D", "1": "DNI", "4": "CE", "6": "RUC", "7": "PAS", "A": "CDI"}

_register_hook()
