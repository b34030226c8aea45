"""Freezing a job: at its first attempt, its tests get placer numbers (kept for the life of the
order), and its message is rendered once for its laboratory's protocol and stored on the job.
Every later attempt sends those same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlmodel import Session, col, select

from domain.clock import Clock
from domain.physician import Priority
from edge.config.models import Sede
from edge.labsync import hl7_build
from edge.labsync.models import LabJob, LabOrderTest, LabSystem
from edge.labsync.queue import PlannedTest, plan_tests, unmapped
from edge.orders.models import Order
from edge.patients.models import Patient
from edge.samples.models import Sample

PRIORITIES = {Priority.URGENTE.value: "S"}


class Blocked(Exception):
    """The job cannot be rendered yet (no lab system, tests without a code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _order_tests(session: Session, order_id: str) -> list[LabOrderTest]:
    return list(
        session.exec(
            select(LabOrderTest)
            .where(LabOrderTest.order_id == order_id)
            .order_by(col(LabOrderTest.created_at), col(LabOrderTest.placer_number))
        )
    )


def _placer_for(existing: list[LabOrderTest], order: Order) -> str:
    used = {int(t.placer_number.rsplit("-", 1)[1]) for t in existing if "-" in t.placer_number}
    return f"{order.number}-{max(used, default=0) + 1}"


def assign_tests(
    session: Session, *, job: LabJob, order: Order, lab: LabSystem, clock: Clock
) -> list[tuple[str, LabOrderTest, PlannedTest | None]]:
    """Decide the (ORC-1 control, test) pairs of ``job``, creating/cancelling LabOrderTests."""
    existing = [t for t in _order_tests(session, order.id) if t.lab_system_id == lab.id]
    active = {t.order_item_id: t for t in existing if not t.cancelled}
    now = clock.now()
    if job.action == "cancel":
        out: list[tuple[str, LabOrderTest, PlannedTest | None]] = []
        for t in active.values():
            t.cancelled = True
            session.add(t)
            out.append(("CA", t, None))
        return out
    planned = plan_tests(session, order, lab)
    if unmapped(planned):
        raise Blocked("unmapped_tests")
    out = []
    wanted = {p.item.id for p in planned}
    for p in planned:
        test = active.get(p.item.id)
        if test is None:
            test = LabOrderTest(
                sede_id=order.sede_id,
                order_id=order.id,
                order_item_id=p.item.id,
                service_id=p.item.service_id,
                service_code=p.item.service_code,
                service_name=p.item.service_name,
                lab_system_id=lab.id,
                placer_number=_placer_for(existing, order),
                created_at=now,
            )
            existing.append(test)
            session.add(test)
            out.append(("NW", test, p))
        else:
            out.append(("XO" if job.action == "change" else "NW", test, p))
    for item_id, t in active.items():
        if item_id not in wanted:
            t.cancelled = True
            session.add(t)
            out.append(("CA", t, None))
    session.flush()
    return out


def _samples_by_item(session: Session, order_id: str) -> dict[str, Sample]:
    found: dict[str, Sample] = {}
    rows = select(Sample).where(Sample.order_id == order_id, Sample.status != "rechazada")
    for s in session.exec(rows):  # a rejected tube's tests are in its replacement
        for item_id in s.item_ids or []:
            found.setdefault(item_id, s)
    return found


def render(session: Session, *, job: LabJob, lab: LabSystem, clock: Clock) -> tuple[str, str]:
    """Freeze ``job``: (content type, body). Raises :class:`Blocked` when it cannot go yet."""
    order = session.get(Order, job.order_id)
    if order is None:  # pragma: no cover - FK
        raise Blocked("order_missing")
    patient = session.get(Patient, order.patient_id)
    if patient is None:  # pragma: no cover - FK
        raise Blocked("patient_missing")
    sede = session.get(Sede, order.sede_id)
    pairs = assign_tests(session, job=job, order=order, lab=lab, clock=clock)
    samples = _samples_by_item(session, order.id)
    lines: list[hl7_build.TestLine] = []
    stored: list[dict[str, Any]] = []
    for control, test, planned in pairs:
        mapping = planned.code_map if planned else None
        item = planned.item if planned else None
        sample = samples.get(test.order_item_id) or (
            samples.get(item.parent_item_id or "") if item else None
        )
        line = hl7_build.TestLine(
            control=control,
            placer=test.placer_number,
            code=mapping.code if mapping else test.service_code,
            loinc=mapping.loinc if mapping else "",
            name=(mapping.name if mapping and mapping.name else test.service_name),
            sample_type=sample.sample_type if sample else (item.sample_type if item else ""),
            barcode=sample.barcode if sample else "",
            collected_at=sample.taken_at if sample else None,
        )
        lines.append(line)
        stored.append(
            {
                "item_id": test.order_item_id,
                "placer": test.placer_number,
                "control": control,
                "code": line.code,
                "loinc": line.loinc,
                "name": line.name,
                "barcode": line.barcode,
            }
        )
    if not lines:
        raise Blocked("nothing_to_send")
    job.lines = stored
    job.placer_numbers = [s["placer"] for s in stored]
    info = hl7_build.OrderMessage(
        control_id=job.control_id,
        version=lab.hl7_version,
        message_type=lab.message_type,
        sede_code=sede.code if sede else order.sede_id[:8],
        receiving_app=lab.name[:20],
        order_number=order.number,
        created_at=job.created_at,
        patient=hl7_build.PatientInfo(
            id=patient.id,
            doc_type=patient.doc_type,
            doc_number=patient.doc_number,
            first_names=patient.first_names,
            last_names=patient.last_names,
            birth_date=patient.birth_date,
            sex=patient.sex,
        ),
        priority=PRIORITIES.get(order.priority, "R"),
        entered_by=order.cashier_id,
        tests=lines,
        physician_cmp=order.physician_cmp or "",
        physician_name=order.physician_name or "",
    )
    if lab.protocol == "rest":
        return "json", _json_body(job, info)
    if lab.protocol == "file" and lab.file_format == "csv":
        return "csv", _csv_body(job, info)
    return "hl7", hl7_build.build_order(info)


def _json_body(job: LabJob, m: hl7_build.OrderMessage) -> str:
    p = m.patient
    body = {
        "control_id": m.control_id,
        "action": job.action,
        "order_number": m.order_number,
        "sede": m.sede_code,
        "priority": m.priority,
        "physician": (
            {"cmp": m.physician_cmp or None, "name": m.physician_name} if m.physician_name else None
        ),
        "created_at": m.created_at.isoformat(),
        "patient": {
            "id": p.id,
            "doc_type": p.doc_type,
            "doc_number": p.doc_number,
            "first_names": p.first_names,
            "last_names": p.last_names,
            "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            "sex": p.sex,
        },
        "tests": [
            {
                "control": t.control,
                "placer_number": t.placer,
                "code": t.code,
                "loinc": t.loinc,
                "name": t.name,
                "sample_type": t.sample_type,
                "barcode": t.barcode,
            }
            for t in m.tests
        ],
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


CSV_COLUMNS = [
    "control_id", "action", "order_number", "sede", "priority", "placer_number", "control",
    "code", "loinc", "name", "sample_type", "barcode", "doc_type", "doc_number",
    "last_names", "first_names", "birth_date", "sex", "physician_cmp", "physician_name",
]  # fmt: skip


def _csv_body(job: LabJob, m: hl7_build.OrderMessage) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    p = m.patient
    for t in m.tests:
        writer.writerow(
            [
                m.control_id, job.action, m.order_number, m.sede_code, m.priority, t.placer,
                t.control, t.code, t.loinc, t.name, t.sample_type, t.barcode, p.doc_type,
                p.doc_number, p.last_names, p.first_names,
                p.birth_date.isoformat() if p.birth_date else "", p.sex or "",
                m.physician_cmp, m.physician_name,
            ]
        )  # fmt: skip
    return buf.getvalue()
