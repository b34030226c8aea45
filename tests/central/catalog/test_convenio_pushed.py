"""A convenio factura made at a sede reaches the hub through the real push ingest (enrolment,
HTTP push, ``sync_record``) and the hub's balance and payments see it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.clock import SystemClock, business_date
from domain.permissions import Role
from edge.billing.convenio_models import ConvenioInvoiceOrder
from edge.billing.models import Invoice
from edge.db import unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from tests.central.auth.factories import auth_headers
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()
RUC = "20503123453"


def test_factura_pushed_by_a_sede_is_invoiced_and_payable_on_the_hub(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    admin = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.post(
        "/api/convenios",
        json={"ruc": RUC, "name": "SALUD PLUS EPS S.A.", "coverage_pct": "80", "credit_days": 30},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    conv = r.json()["id"]
    enroll(
        edge_runtime.engine, edge_runtime.settings.data_dir, hub_url="http://hub",
        code=new_code(hub_client, sede), clock=CLOCK, client=node_client(hub_client),
    )  # fmt: skip
    creds = load_credentials(edge_runtime.settings.data_dir)
    assert creds is not None

    now = CLOCK.now()
    today = business_date(now)
    pid = add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc="40000001")
    covered_id, _ = add_sale(
        edge_runtime.engine, CLOCK, sede_id=sede, patient_id=pid,
        number=f"S01-{today:%Y%m%d}-0001", amount=Decimal("20.00"),
    )  # fmt: skip
    pending_id, _ = add_sale(
        edge_runtime.engine, CLOCK, sede_id=sede, patient_id=pid,
        number=f"S01-{today:%Y%m%d}-0002", amount=Decimal("10.00"),
    )  # fmt: skip
    with unit_of_work(edge_runtime.engine) as session:
        for oid, covered in ((covered_id, "80.00"), (pending_id, "40.00")):
            order = session.get(Order, oid)
            assert order is not None
            order.convenio_id, order.covered_total = conv, Decimal(covered)
            order.total += Decimal(covered)
            session.add(order)
        session.flush()
        inv = Invoice(
            sede_id=sede, doc_type="01", series="F001", number=7, customer_doc_type="6",
            customer_doc_number=RUC, customer_name="SALUD PLUS EPS S.A.",
            gravado=Decimal("67.80"), igv=Decimal("12.20"), total=Decimal("80.00"),
            issued_at=now, business_date=today, deadline=today + dt.timedelta(days=3),
            state="aceptado", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(inv)
        session.flush()
        session.add(
            ConvenioInvoiceOrder(
                sede_id=sede, convenio_id=conv, invoice_id=inv.id, order_id=covered_id,
                order_number=f"S01-{today:%Y%m%d}-0001", month=f"{today:%Y-%m}",
                amount=Decimal("80.00"), business_date=today, created_at=now,
            )
        )  # fmt: skip
    assert service.push_pending(edge_runtime.engine, node_client(hub_client, creds), CLOCK) > 0
    assert service.backlog(edge_runtime.engine) == 0

    bal = hub_client.get(f"/api/convenios/{conv}/balance", headers=admin)
    assert bal.status_code == 200, bal.text
    body = bal.json()
    assert (body["covered"], body["invoiced"], body["not_invoiced"]) == (
        "120.00", "80.00", "40.00",
    )  # fmt: skip
    assert (body["overdue"], body["not_due"], body["balance"]) == ("0.00", "80.00", "120.00")
    assert [(f["invoice"], f["sede_code"]) for f in body["facturas"]] == [("F001-7", "S01")]

    url = f"/api/convenios/{conv}/payments"
    pay = {"amount": "80.01", "date": today.isoformat(), "method": "transferencia",
           "reference": "OP 000456", "invoice": "F001-7"}  # fmt: skip
    over = hub_client.post(url, json=pay, headers=admin)
    assert over.status_code == 422 and over.json()["detail"][0]["type"] == "payment_exceeds_invoice"
    ok = hub_client.post(url, json=pay | {"amount": "80.00"}, headers=admin)
    assert ok.status_code == 201, ok.text
    body = hub_client.get(f"/api/convenios/{conv}/balance", headers=admin).json()
    assert (body["balance"], body["not_due"], body["not_invoiced"]) == ("40.00", "0.00", "40.00")
