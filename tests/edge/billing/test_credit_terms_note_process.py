"""Nota de crédito 13 across real processes: ``labred edge serve``, ``labred edge worker`` and
``labred sandbox sunat`` (SUNAT's XSD/XSL rules). Two orders under a convenio are billed in one
crédito factura; once SUNAT accepts it, cancelling one order issues the nota de crédito 07 and
the nota de crédito 13 restating the cuota; the worker sends both and the simulator accepts
them; the NC 13's XML and printed copy carry the new net amount pending."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.edge.billing.test_convenio_invoice_process import convenio_node
from tests.edge.billing.test_ticket_credit_terms import pdf_text
from tests.procs import until

pytestmark = pytest.mark.slow


def test_nc13_sent_by_the_worker_and_accepted(tmp_path: Path, sunat_data: Path) -> None:
    with convenio_node(tmp_path, sunat_data) as node:
        sim_url, http, boss = node.sim_url, node.http, node.boss
        orders = [node.sell("41234567", ["HEM-001", "URI-001"]), node.sell("41234568", ["HEM-001"])]
        factura = node.invoice_month(orders[0]["business_date"][:7])
        assert (factura["full_number"], factura["total"]) == ("F001-1", "68.00")  # 40 + 28
        due = dt.date.fromisoformat(orders[0]["business_date"]) + dt.timedelta(days=45)

        answered = node.answered
        done = until("the convenio factura to be accepted", lambda: answered(factura["id"]))
        assert (done["state"], done["sunat_code"]) == ("aceptado", "0"), done

        r = http.post(
            f"/api/orders/{orders[0]['id']}/cancel", json={"reason": "Orden duplicada"},
            headers=boss,
        )  # fmt: skip
        assert r.status_code == 200, r.text

        def notes() -> list[dict[str, Any]] | None:
            docs = http.get(f"/api/billing/by-order/{orders[0]['id']}", headers=boss).json()
            found = sorted(
                (d for d in docs["items"] if d["doc_type"] == "07"), key=lambda d: d["number"]
            )
            answered_all = len(found) == 2 and all(
                d["state"] in ("aceptado", "observado", "rechazado") for d in found
            )
            return found if answered_all else None

        nc07, nc13 = until("both notes to be answered by SUNAT", notes)
        assert (nc07["full_number"], nc07["note_reason"], nc07["total"]) == (
            "FC01-1",
            "07",
            "40.00",
        )
        assert (nc13["full_number"], nc13["note_reason"], nc13["total"]) == (
            "FC01-2",
            "13",
            "0.00",
        )
        for note in (nc07, nc13):
            assert (note["state"], note["sunat_code"], note["sunat_notes"]) == (
                "aceptado",
                "0",
                [],
            ), note
            assert note["reference_invoice_id"] == factura["id"]
        assert (nc13["payment_method"], nc13["payment_due_date"]) == ("Credito", due.isoformat())

        xml = http.get(f"/api/billing/{nc13['id']}/xml", headers=boss)
        assert xml.status_code == 200
        assert b">13</cbc:ResponseCode>" in xml.content
        assert b'<cbc:Amount currencyID="PEN">28.00</cbc:Amount>' in xml.content
        assert f"<cbc:PaymentDueDate>{due.isoformat()}</cbc:PaymentDueDate>".encode() in (
            xml.content
        )
        pdf = http.get(f"/api/billing/{nc13['id']}/pdf?format=ticket", headers=boss)
        assert pdf.status_code == 200, pdf.text
        assert "Nuevo monto neto pendiente de pago: S/ 28.00" in pdf_text(pdf.content)
        registry = httpx.get(f"{sim_url}/_sim/documents", timeout=10).json()
    statuses = {d["filename"].split("-", 1)[1]: d["status"] for d in registry["documents"]}
    assert statuses["07-FC01-1"] == "aceptado"
    assert statuses["07-FC01-2"] == "aceptado"
