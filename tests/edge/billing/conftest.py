"""Fixtures for billing: a runtime on a fixed clock, orders to invoice, the SUNAT simulator."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from domain.clock import FixedClock
from edge.billing import context, files
from edge.billing.sunat_client import SunatClient
from edge.db import unit_of_work
from edge.orders.models import Order, OrderItem
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from tests.edge.factories import SEDE_S01
from tests.procs import serve_in_thread

D = Decimal
RUC = "20100070970"
CUSTOMER_RUC = "20100066603"
#: 10:00 in Lima.
START = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
BILL_PATH = "/ol-ti-itcpfegem-beta/billService"
CONSULT_PATH = "/ol-it-wsconscpegem/billConsultService"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def rt(edge_runtime: EdgeRuntime, clock: FixedClock) -> EdgeRuntime:
    edge_runtime.clock = clock
    context.bind(edge_runtime)
    return edge_runtime


def add_order(
    session: Any,
    clock: FixedClock,
    *,
    items: tuple[tuple[str, str, int, str], ...] = (
        ("HEM-001", "Hemograma completo", 1, "35.00"),
        ("BIO-010", "Glucosa basal", 2, "12.50"),
    ),
    paid: bool = True,
    document_type: str = "03",
    customer: tuple[str, str, str] | None = None,
    patient_doc: tuple[str, str] = ("1", "45678912"),
    patient_name: tuple[str, str] = ("María Josefina", "Ñahui Quispe"),
    discount: str = "0.00",
    covered: str = "0.00",
) -> Order:
    now = clock.now()
    from domain.clock import business_date

    today = business_date(now)
    from sqlmodel import select

    patient = session.exec(
        select(Patient).where(
            Patient.doc_type == patient_doc[0], Patient.doc_number == patient_doc[1]
        )
    ).first() or Patient(
        doc_type=patient_doc[0],
        doc_number=patient_doc[1],
        first_names=patient_name[0],
        last_names=patient_name[1],
        home_sede_id=SEDE_S01,
        created_at=now,
        updated_at=now,
    )
    session.add(patient)
    session.flush()
    subtotal = sum((D(p) * q for _c, _n, q, p in items), D("0.00"))
    total = subtotal - D(discount)
    paid_total = total - D(covered) if paid else D("0.00")
    number = f"S01-{today:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    order = Order(
        sede_id=SEDE_S01,
        number=number[:30],
        patient_id=patient.id,
        status="registrada",
        subtotal=subtotal,
        discount_total=D(discount),
        total=total,
        covered_total=D(covered),
        paid_total=paid_total,
        balance=total - D(covered) - paid_total,
        document_type=document_type,
        customer_doc_type=customer[0] if customer else None,
        customer_doc_number=customer[1] if customer else None,
        customer_name=customer[2] if customer else None,
        cashier_id="cashier",
        business_date=today,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    for code, name, qty, price in items:
        session.add(
            OrderItem(
                order_id=order.id,
                sede_id=SEDE_S01,
                service_id=code,
                service_code=code,
                service_name=name,
                quantity=qty,
                unit_price=D(price),
                list_price=D(price),
                line_total=D(price) * qty,
                catalog_version=1,
                business_date=today,
                created_at=now,
            )
        )
    session.flush()
    return order


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The file descriptors ``edge.billing.files`` fsyncs (each one really fsynced)."""
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(files.os, "fsync", counting)
    return calls


@pytest.fixture
def make_order(rt: EdgeRuntime, clock: FixedClock) -> Callable[..., Order]:
    def make(**kw: Any) -> Order:
        with unit_of_work(rt.engine) as session:
            return add_order(session, clock, **kw)

    return make


# ------------------------------------------------------------------------ simulator


serve = serve_in_thread


@dataclass
class Sim:
    base: str
    http: httpx.Client

    def client(self, *, timeout: float = 10.0) -> SunatClient:
        return SunatClient(
            self.http,
            endpoint_bill=self.base + BILL_PATH,
            endpoint_consult=self.base + CONSULT_PATH,
            username=RUC + "MODDATOS",
            password="MODDATOS",
            timeout=timeout,
        )

    def documents(self) -> dict[str, Any]:
        resp = self.http.get(self.base + "/_sim/documents")
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def doc(self, stem: str) -> dict[str, Any]:
        found = [d for d in self.documents()["documents"] if d["filename"] == stem]
        assert len(found) == 1, f"{stem} registered {len(found)} times"
        return found[0]

    def faults(self, **changes: Any) -> None:
        resp = self.http.post(self.base + "/_sim/faults", json=changes)
        resp.raise_for_status()


def _sim_app(sunat_data: Path | None) -> FastAPI:
    from sandbox.sunat.faults import Faults
    from sandbox.sunat.simulator import create_app

    return create_app(sunat_data=sunat_data, faults=Faults())


@pytest.fixture(scope="module")
def simulator() -> Iterator[Sim]:
    """The SUNAT simulator over real HTTP on 127.0.0.1 (signature + naming + duplicates)."""
    with serve(_sim_app(None)) as base, httpx.Client() as http:
        yield Sim(base, http)


@pytest.fixture
def sim(simulator: Sim) -> Iterator[Sim]:
    simulator.http.post(simulator.base + "/_sim/reset").raise_for_status()
    yield simulator
    simulator.http.post(simulator.base + "/_sim/reset").raise_for_status()
