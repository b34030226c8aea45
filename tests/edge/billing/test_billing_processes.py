"""Real processes: `labred edge serve`, `labred edge worker` and `labred sandbox sunat` (with
SUNAT's XSD/XSL rules). A paid order's factura is sent and accepted, a nota de débito on it is
issued through the API and accepted, then cancelling the order voids the factura through a
comunicación de baja (RA, ticket, getStatus) worked by the worker — no nota de crédito."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.catalog_data import catalog_id_for
from tests.edge.billing.process_node import billing_node
from tests.procs import until

pytestmark = pytest.mark.slow
CUSTOMER = {"doc_type": "6", "doc_number": "20100066603", "name": "CLÍNICA ANDINA S.A.C."}


def test_factura_debit_note_and_baja_across_real_processes(
    tmp_path: Path, sunat_data: Path
) -> None:
    with billing_node(tmp_path, sunat_data) as node:
        edge, sim = node.edge, node.sim
        assert sim.post("/_sim/faults", json={"summary_pending_polls": 0}).status_code == 200
        service_id = catalog_id_for("service", "HEM-001")
        price = edge.get(f"/api/catalog/services/{service_id}").json()["price"]
        payment = {"method": "tarjeta", "amount": price, "reference": "V-77"}
        sale = {"patient_id": node.patient_id, "items": [service_id], "document_type": "01",
                "customer": CUSTOMER, "payments": [payment]}  # fmt: skip
        r = edge.post("/api/orders", json=sale)
        assert r.status_code == 201, r.text
        order_id = r.json()["id"]

        factura = until("the factura to be accepted", node.in_state(order_id, "F001-1", "aceptado"))
        r = edge.post(f"/api/billing/{factura['id']}/debit-note",
                      json={"reason_code": "01", "description": "Intereses por mora",
                            "amount": "12.00"})  # fmt: skip
        assert r.status_code == 201, r.text
        assert r.json()["full_number"] == "FD01-1"
        until("the debit note to be accepted", node.in_state(order_id, "FD01-1", "aceptado"))
        pdf = edge.get(f"/api/billing/{r.json()['id']}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

        r = edge.post(f"/api/orders/{order_id}/cancel", json={"reason": "Paciente desistió"})
        assert r.status_code == 200, r.text
        voided = until("the RA to void the factura", node.in_state(order_id, "F001-1", "anulado"))
        assert voided["void_requested"] is True
        assert [d["doc_type"] for d in node.documents(order_id)] == [
            "01",
            "08",
        ]  # no nota de crédito
        registry = sim.get("/_sim/documents").json()
    (ra,) = [t for t in registry["summaries"] if t["kind"] == "RA"]
    assert (ra["status_code"], ra["response_code"]) == (0, "0")
    statuses = {d["filename"].split("-", 1)[1]: d["status"] for d in registry["documents"]}
    assert statuses == {"01-F001-1": "anulado", "08-FD01-1": "aceptado"}
