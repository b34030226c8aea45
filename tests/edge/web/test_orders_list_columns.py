"""``GET /api/orders`` carries each order's patient (name, document) and its boleta/factura
(number, SUNAT state) for the reception's orders list, in one query per page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import select

from edge.billing.models import Invoice
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import load_catalog, make_patient, sell, seller, sid


def _list(client: TestClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    r = client.get("/api/orders", params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_list_rows_carry_patient_and_invoice(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    load_catalog(edge_runtime)
    _, headers = seller(edge_runtime)
    paid_patient = make_patient(edge_runtime, first_names="ANA LUCÍA", last_names="QUISPE MAMANI")
    unpaid_patient = make_patient(edge_runtime, first_names="JOSÉ", last_names="HUAMÁN")
    paid = sell(
        edge_client, headers, patient_id=paid_patient.id, items=[sid("HEM-001")],
        document_type="03", payments=[{"method": "efectivo", "amount": "35.00"}],
    )  # fmt: skip
    unpaid = sell(
        edge_client, headers, patient_id=unpaid_patient.id, items=[sid("HEM-001")],
        document_type="03",
    )  # fmt: skip

    page = _list(edge_client, headers)
    rows = {row["id"]: row for row in page["items"]}
    assert page["total"] == 2
    one = rows[paid["id"]]
    assert one["patient_name"] == "QUISPE MAMANI, ANA LUCÍA"
    assert (one["patient_doc_type"], one["patient_doc_number"]) == ("1", paid_patient.doc_number)
    assert one["invoice_number"] is not None and one["invoice_number"].startswith("B")
    assert one["invoice_state"] == "pendiente"
    assert one["invoice_id"]
    assert one["total"] == "35.00" and one["number"] == paid["number"]  # old fields stay
    other = rows[unpaid["id"]]
    assert other["patient_name"] == "HUAMÁN, JOSÉ"
    assert other["invoice_number"] is None and other["invoice_state"] is None


def test_list_page_is_one_query_however_many_rows(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    load_catalog(edge_runtime)
    _, headers = seller(edge_runtime)
    for _ in range(6):
        patient = make_patient(edge_runtime)
        sell(
            edge_client, headers, patient_id=patient.id, items=[sid("HEM-001")],
            document_type="03", payments=[{"method": "efectivo", "amount": "35.00"}],
        )  # fmt: skip
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if any(table in statement for table in ("lab_order", "patient", "invoice")):
            statements.append(statement)

    event.listen(edge_runtime.engine, "before_cursor_execute", count)
    try:
        page = _list(edge_client, headers, page_size="200")
    finally:
        event.remove(edge_runtime.engine, "before_cursor_execute", count)
    assert len(page["items"]) == 6
    assert all(row["invoice_number"] and row["patient_name"] for row in page["items"])
    # the count and the page: never one query per row
    assert len(statements) == 2, statements


def test_a_credit_note_never_replaces_the_boleta_in_the_list(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    load_catalog(edge_runtime)
    _, headers = seller(edge_runtime)
    patient = make_patient(edge_runtime)
    order = sell(
        edge_client, headers, patient_id=patient.id, items=[sid("HEM-001")],
        document_type="03", payments=[{"method": "efectivo", "amount": "35.00"}],
    )  # fmt: skip
    with unit_of_work(edge_runtime.engine) as session:
        boleta = session.exec(select(Invoice).where(Invoice.order_id == order["id"])).one()
        later = boleta.created_at + dt.timedelta(minutes=5)
        note = Invoice.model_validate(
            {
                **boleta.model_dump(exclude={"id"}),
                "doc_type": "07", "series": "BC01", "number": 1, "state": "aceptado",
                "reference_invoice_id": boleta.id, "created_at": later, "updated_at": later,
            }
        )  # fmt: skip
        session.add(note)
        expected = (f"{boleta.series}-{boleta.number}", boleta.state)
    row = _list(edge_client, headers)["items"][0]
    assert row["id"] == order["id"]
    assert (row["invoice_number"], row["invoice_state"]) == expected
    assert row["invoice_number"].startswith("B") and row["invoice_state"] == "pendiente"
