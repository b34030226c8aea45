"""Results from the laboratory (ORU^R01 over MLLP, or the REST webhook), kept per test.

- Each observation is a ``LabResult``; a newer one for the same test and code supersedes the
  current one (``superseded_by``), which stays as history (a correction ``C`` after a final
  ``F``, or a final after a preliminary).
- Only final results count: when every test of the order has a final (``F``, ``C`` or ``X``)
  result the order moves to ``resultados_listos``.
- Delivery: once, when the order first becomes ready, and only over the channels the patient
  consented to (``edge.patients.consents.may_contact``), a ``results_ready`` event is written
  to the outbox for the hub's notification code.
- A message already processed (same sender control id) is acknowledged again and ignored.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from domain.clock import Clock, business_date
from domain.errors import InvalidInput
from domain.ids import new_id
from edge.labsync.adapters.filedrop import write_atomic
from edge.labsync.hl7_parse import ResultGroup
from edge.labsync.models import LabInboundLog, LabJob, LabOrderTest, LabResult
from edge.orders.models import Order, OrderStatusEvent
from edge.patients.consents import may_contact
from sync.outbox import record_change

log = logging.getLogger("labred.edge.labsync")

FINAL = frozenset({"F", "C", "X"})
STATUSES = frozenset({"P", "F", "C", "X"})
READY_FROM = frozenset({"registrada", "muestra_tomada", "enviada_laboratorio"})
CHANNELS = ("email", "whatsapp")

ConsentCheck = Callable[[Session, str, str], bool]


def default_consent() -> ConsentCheck:
    """``edge.patients.consents.may_contact``: no consent on record means no delivery."""

    def check(session: Session, patient_id: str, channel: str) -> bool:
        return bool(may_contact(session, patient_id, channel))

    return check


@dataclass
class IngestReport:
    results: int = 0
    orders_ready: list[str] = field(default_factory=list)
    duplicate: bool = False


class UnknownOrder(InvalidInput):
    """A result for a placer number we never sent."""


def already_processed(session: Session, control_id: str) -> bool:
    if not control_id:
        return False
    row = session.exec(
        select(LabInboundLog.id).where(
            LabInboundLog.control_id == control_id,
            LabInboundLog.ack_code == "AA",
            LabInboundLog.results > 0,
        )
    ).first()
    return row is not None


def ingest(
    *,
    session: Session,
    groups: list[ResultGroup],
    message_control_id: str,
    clock: Clock,
    files_dir: Path,
    consent: ConsentCheck | None = None,
) -> IngestReport:
    """Store the results of ``groups``; raise ``UnknownOrder`` before writing if any is ours not."""
    now = clock.now()
    report = IngestReport()
    if already_processed(session, message_control_id):
        report.duplicate = True
        return report
    tests: list[tuple[ResultGroup, LabOrderTest]] = []
    for g in groups:
        test = session.exec(
            select(LabOrderTest).where(LabOrderTest.placer_number == g.placer)
        ).first()
        if test is None:
            raise UnknownOrder(
                f"Número de orden desconocido: {g.placer}.", code="unknown_placer", loc=["OBR", 2]
            )
        for obs in g.observations:
            if obs.status not in STATUSES:
                raise InvalidInput(
                    f"Estado de resultado desconocido: «{obs.status}».",
                    code="result_status_invalid",
                    loc=["OBX", 11],
                )
        tests.append((g, test))
    touched: set[str] = set()
    for g, test in tests:
        if g.filler and test.filler_number != g.filler:
            test.filler_number = g.filler
            _job_filler(session, test, g.filler)
        pdf_path = None
        for obs in g.observations:
            if obs.pdf_base64:
                pdf_path = _save_pdf(files_dir, test, obs.pdf_base64, now)
        for obs in g.observations:
            if obs.value_type == "ED":
                continue
            current = session.exec(
                select(LabResult).where(
                    LabResult.order_test_id == test.id,
                    LabResult.code == obs.code,
                    col(LabResult.superseded_by).is_(None),
                )
            ).first()
            result = LabResult(
                id=new_id(),
                sede_id=test.sede_id,
                order_id=test.order_id,
                order_test_id=test.id,
                order_item_id=test.order_item_id,
                lab_system_id=test.lab_system_id,
                placer_number=test.placer_number,
                filler_number=g.filler or test.filler_number,
                code=obs.code or g.test_code,
                name=obs.name or g.test_name,
                value_type=obs.value_type or "ST",
                value=obs.value[:2000],
                units=obs.units[:40],
                reference_range=obs.reference_range[:60],
                flag=obs.flag[:4],
                status=obs.status,
                observed_at=obs.observed_at,
                message_control_id=message_control_id[:40],
                pdf_path=pdf_path,
                business_date=business_date(now),
                received_at=now,
            )
            session.add(result)
            if current is not None:
                current.superseded_by = result.id
                session.add(current)
            report.results += 1
        statuses = [o.status for o in g.observations] or [g.status]
        test.result_status = _test_status(statuses, test.result_status)
        session.add(test)
        touched.add(test.order_id)
    session.flush()
    for order_id in sorted(touched):
        if _maybe_ready(session, order_id, now=now, consent=consent):
            report.orders_ready.append(order_id)
    return report


def _test_status(statuses: list[str], previous: str | None) -> str:
    if all(s in FINAL for s in statuses):
        return "C" if "C" in statuses else ("X" if all(s == "X" for s in statuses) else "F")
    if previous in FINAL:
        return previous or "P"  # a late preliminary never un-finals a test
    return "P"


def _job_filler(session: Session, test: LabOrderTest, filler: str) -> None:
    for job in session.exec(select(LabJob).where(LabJob.order_id == test.order_id)):
        if test.placer_number in (job.placer_numbers or []):
            job.filler_numbers = {**job.filler_numbers, test.placer_number: filler}
            session.add(job)


def _save_pdf(files_dir: Path, test: LabOrderTest, data: str, now: dt.datetime) -> str | None:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        log.warning("invalid PDF attachment for %s", test.placer_number)
        return None
    path = files_dir / business_date(now).isoformat() / f"{test.placer_number}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, raw)
    return str(path)


def _maybe_ready(
    session: Session, order_id: str, *, now: dt.datetime, consent: ConsentCheck | None
) -> bool:
    """Move the order to ``resultados_listos`` when all its tests are final; deliver once."""
    order = session.get(Order, order_id)
    if order is None or order.status not in READY_FROM:
        return False
    tests = [
        t
        for t in session.exec(select(LabOrderTest).where(LabOrderTest.order_id == order_id))
        if not t.cancelled
    ]
    if not tests or any(t.result_status not in FINAL for t in tests):
        return False
    session.add(
        OrderStatusEvent(
            order_id=order.id,
            sede_id=order.sede_id,
            from_status=order.status,
            to_status="resultados_listos",
            reason="resultados finales recibidos del laboratorio",
            user_id=tests[0].lab_system_id or "laboratorio",
            business_date=business_date(now),
            created_at=now,
        )
    )
    order.status, order.updated_at = "resultados_listos", now
    session.add(order)
    channels = [
        c for c in CHANNELS if consent is not None and consent(session, order.patient_id, c)
    ]
    if channels:
        event_id = new_id()
        record_change(
            session,
            record_type="results_ready",
            record_id=event_id,
            payload={
                "id": event_id,
                "order_id": order.id,
                "order_number": order.number,
                "patient_id": order.patient_id,
                "sede_id": order.sede_id,
                "channels": channels,
                "tests": len(tests),
                "ready_at": now.isoformat(),
            },
            business_date=business_date(now).isoformat(),
        )
    return True
