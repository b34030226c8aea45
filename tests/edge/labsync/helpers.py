"""Test data for the laboratory integration: lab systems, code maps, orders written directly."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from domain.clock import FixedClock, business_date
from domain.ids import format_order_number, new_id
from edge.db import unit_of_work
from edge.labsync import queue
from edge.labsync.listener import InboundHandler, ListenerThread
from edge.labsync.models import LabCodeMap, LabJob, LabSystem
from edge.orders.models import Order, OrderItem
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.samples.models import Sample
from sandbox.lab.app import LabStandIn
from tests.edge.factories import SEDE_S01

START = dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC)  # 09:00 in Lima

# our code -> (name, sample type, lab code, LOINC)
TESTS = {
    "BIO001": ("Glucosa basal", "suero", "GLU", "1558-6"),
    "HEM002": ("Hemoglobina", "sangre total", "HB", "718-7"),
    "HOR001": ("TSH", "suero", "TSH", "3016-3"),
    "BIO005": ("Colesterol total", "suero", "CHOL", "2093-3"),
    "ORI009": ("Examen raro", "orina", "", ""),  # never mapped
}
_numbers = itertools.count(1)


def service_id(code: str) -> str:
    return f"svc-{code}"


def set_clock(rt: EdgeRuntime, start: dt.datetime = START) -> FixedClock:
    clock = FixedClock(start)
    rt.clock = clock
    return clock


def add_lab(
    rt: EdgeRuntime,
    *,
    protocol: str = "mllp",
    port: int = 0,
    url: str = "",
    folder: str = "",
    file_format: str = "hl7",
    version: str = "2.5.1",
    message_type: str = "OML_O21",
    token: str = "lab-token",
    timeout: float = 2.0,
    codes: tuple[str, ...] = ("BIO001", "HEM002", "HOR001", "BIO005"),
) -> LabSystem:
    lab = LabSystem(
        id=new_id(),
        name="LABCENTRAL",
        protocol=protocol,
        hl7_version=version,
        message_type=message_type,
        url=url,
        host="127.0.0.1",
        port=port,
        folder=folder,
        file_format=file_format,
        token=token,
        timeout_seconds=timeout,
        sede_ids=[SEDE_S01],
    )
    with unit_of_work(rt.engine) as session:
        session.add(lab)
        for code in codes:
            map_code(session, lab, code)
    return lab


def map_code(session: object, lab: LabSystem, code: str) -> None:
    name, _, lab_code, loinc = TESTS[code]
    session.add(  # type: ignore[attr-defined]
        LabCodeMap(
            id=new_id(),
            lab_system_id=lab.id,
            service_id=service_id(code),
            code=lab_code or code,
            loinc=loinc,
            name=name,
        )
    )


def make_order(
    rt: EdgeRuntime,
    *,
    codes: tuple[str, ...] = ("BIO001", "HEM002"),
    samples: bool = True,
    panel: tuple[str, ...] = (),
    last_names: str = "QUISPE MAMANI",
    first_names: str = "ROSA ELENA",
    enqueue: bool = True,
    **order_fields: Any,
) -> Order:
    """Patient + order + items (+ samples) written directly, queued in the same transaction;
    ``order_fields`` set more columns of the order (``priority``, ``physician_name``...)."""
    with unit_of_work(rt.engine) as session:
        return build_order(
            session, rt, codes=codes, samples=samples, panel=panel, last_names=last_names,
            first_names=first_names, enqueue=enqueue, **order_fields,
        )  # fmt: skip


def build_order(
    session: Any,
    rt: EdgeRuntime,
    *,
    codes: tuple[str, ...] = ("BIO001", "HEM002"),
    samples: bool = True,
    panel: tuple[str, ...] = (),
    last_names: str = "QUISPE MAMANI",
    first_names: str = "ROSA ELENA",
    enqueue: bool = True,
    **order_fields: Any,
) -> Order:
    """The rows of :func:`make_order` inside the caller's transaction."""
    now = rt.clock.now()
    day = business_date(now)
    patient = Patient(
        doc_type="1",
        doc_number=f"{45873219 + next(_numbers):08d}",
        first_names=first_names,
        last_names=last_names,
        birth_date=dt.date(1985, 4, 12),
        sex="F",
        home_sede_id=SEDE_S01,
        created_at=now,
        updated_at=now,
    )
    session.add(patient)
    session.flush()
    order = Order(
        sede_id=SEDE_S01,
        number=format_order_number("S01", day, next(_numbers)),
        patient_id=patient.id,
        subtotal=Decimal("50.00"),
        total=Decimal("50.00"),
        balance=Decimal("0.00"),
        cashier_id=new_id(),
        business_date=day,
        created_at=now,
        updated_at=now,
        **order_fields,
    )
    session.add(order)
    session.flush()
    items: list[OrderItem] = []
    for k, code in enumerate(codes):
        items.append(_item(order, code, now + dt.timedelta(microseconds=k)))
    if panel:
        parent = OrderItem(
            order_id=order.id, sede_id=SEDE_S01, service_id=service_id("PER001"),
            service_code="PER001", service_name="Perfil", unit_price=Decimal("30.00"),
            list_price=Decimal("30.00"), line_total=Decimal("30.00"), catalog_version=1,
            business_date=day, created_at=now + dt.timedelta(milliseconds=1),
        )  # fmt: skip
        items.append(parent)
        session.add(parent)
        session.flush()
        for k, code in enumerate(panel):
            child = _item(order, code, now + dt.timedelta(milliseconds=2, microseconds=k))
            child.parent_item_id = parent.id
            items.append(child)
    for it in items:
        session.add(it)
    session.flush()
    if samples:
        by_type: dict[str, list[str]] = {}
        for it in items:
            if it.sample_type:
                by_type.setdefault(it.sample_type, []).append(it.id)
        for n, (stype, ids) in enumerate(sorted(by_type.items())):
            session.add(
                Sample(
                    order_id=order.id, sede_id=SEDE_S01,
                    barcode=f"{order.number.replace('-', '')}{n}", sample_type=stype,
                    tube="tubo", item_ids=ids, status="tomada", taken_at=now,
                    business_date=day, created_at=now,
                )
            )  # fmt: skip
    if enqueue:
        queue.enqueue_new(session=session, order=order, clock=rt.clock)
    return order


def _item(order: Order, code: str, created: dt.datetime) -> OrderItem:
    name, sample_type, _, _ = TESTS[code]
    return OrderItem(
        order_id=order.id, sede_id=SEDE_S01, service_id=service_id(code), service_code=code,
        service_name=name, unit_price=Decimal("10.00"), list_price=Decimal("10.00"),
        line_total=Decimal("10.00"), catalog_version=1, sample_type=sample_type,
        business_date=order.business_date, created_at=created,
    )  # fmt: skip


def jobs_of(rt: EdgeRuntime, order_id: str) -> list[LabJob]:
    from sqlmodel import col, select

    from edge.db import read_session

    with read_session(rt.engine) as session:
        rows = list(
            session.exec(
                select(LabJob).where(LabJob.order_id == order_id).order_by(col(LabJob.seq))
            )
        )
        session.expunge_all()  # keep them readable after the snapshot ends
        return rows


@contextmanager
def standin(**kwargs: object) -> Iterator[LabStandIn]:
    lab = LabStandIn(seed=7, **kwargs).start()  # type: ignore[arg-type]
    lab.state.config.auto_results = False
    try:
        yield lab
    finally:
        lab.stop()


@contextmanager
def listener(rt: EdgeRuntime, consent: object = None) -> Iterator[ListenerThread]:
    handler = InboundHandler(
        engine=rt.engine,
        clock=rt.clock,
        files_dir=rt.settings.data_dir / "lab-results",
        consent=consent,  # type: ignore[arg-type]
    )
    thread = ListenerThread(handler).start()
    try:
        yield thread
    finally:
        thread.stop()
