"""QA across real processes: `labred edge serve`, `labred edge worker` and `labred sandbox sunat`
(which applies SUNAT's XSD + XSL rules). A 99 %-discounted factura whose second item is left
at S/ 0.01 is accepted (its discount moved to the global one), its total credit note carries
the discounts on its lines in CreditNoteLine's schema order and is accepted too, and a
customer name SUNAT would reject is a 422 at the counter with nothing saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.catalog_data import catalog_id_for
from tests.edge.billing.process_node import billing_node
from tests.procs import until

pytestmark = pytest.mark.slow
CUSTOMER = {"doc_type": "6", "doc_number": "20100066603", "name": "CLÍNICA ANDINA & <HIJOS>"}


def test_discount_corners_accepted_by_sunat_rules_across_processes(
    tmp_path: Path, sunat_data: Path
) -> None:
    with billing_node(tmp_path, sunat_data) as node:
        edge, sim = node.edge, node.sim
        items = [
            {"service_id": catalog_id_for("service", "HEM-001"), "unit_price": "100.00",
             "override_reason": "QA"},
            {"service_id": catalog_id_for("service", "BIO-010"), "unit_price": "1.00",
             "override_reason": "QA"},
        ]  # fmt: skip
        sale: dict[str, Any] = {
            "patient_id": node.patient_id,
            "items": items,
            "discount": {"kind": "percent", "value": "99.00", "reason": "Campaña QA"},
            "document_type": "01",
            "customer": {**CUSTOMER, "name": "Lú"},
            "payments": [{"method": "tarjeta", "amount": "1.01", "reference": "V-1"}],
        }
        r = edge.post("/api/orders", json=sale)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["type"] == "customer_name_too_short"
        assert edge.get("/api/billing", params={"limit": 5}).json()["items"] == []

        r = edge.post("/api/orders", json={**sale, "customer": CUSTOMER})
        assert r.status_code == 201, r.text
        order_id = r.json()["id"]

        factura = until(
            "the factura to be accepted", node.in_state(order_id, "F001-1", strict=True)
        )
        assert factura["total"] == "1.01"
        r = edge.post(
            f"/api/billing/{factura['id']}/credit-note",
            json={"reason_code": "06", "description": "Devolución total"},
        )
        assert r.status_code == 201, r.text
        note = until(
            "the credit note to be accepted",
            node.in_state(order_id, r.json()["full_number"], strict=True),
        )
        assert note["total"] == "1.01"
        registry = sim.get("/_sim/documents").json()
    statuses = {d["filename"].split("-", 1)[1]: d["status"] for d in registry["documents"]}
    assert statuses == {"01-F001-1": "aceptado", f"07-{note['full_number']}": "aceptado"}
