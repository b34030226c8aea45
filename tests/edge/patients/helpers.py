"""Helpers of the patient tests: register patients over HTTP, add orders directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from domain.ids import new_id
from edge.db import unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.factories import SEDE_S01

_counter = iter(range(10_000_000, 99_999_999, 7919))


def next_dni() -> str:
    return f"{next(_counter):08d}"


def patient_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "doc_type": "1",
        "doc_number": next_dni(),
        "first_names": "María José",
        "last_names": "Núñez Quispe",
    }
    body.update(overrides)
    return body


def register(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/patients", json=patient_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def add_order(
    rt: EdgeRuntime,
    patient_id: str,
    *,
    day: dt.date,
    total: str = "50.00",
    status: str = "registrada",
) -> Order:
    now = dt.datetime.now(dt.UTC)
    amount = Decimal(total)
    order = Order(
        sede_id=SEDE_S01,
        number=f"S01-{day:%Y%m%d}-{new_id()[-6:]}",
        patient_id=patient_id,
        status=status,
        subtotal=amount,
        total=amount,
        balance=Decimal("0.00"),
        paid_total=amount,
        cashier_id=new_id(),
        business_date=day,
        created_at=now,
        updated_at=now,
    )
    with unit_of_work(rt.engine) as session:
        session.add(order)
    return order
