"""Across real processes: a real ``labred edge serve`` (after ``labred edge init
--demo-catalog``) sells with cash and change; the boleta's ticket PDF, fetched over HTTP, says
under its totals how it was paid ("Forma de pago: Contado", "Efectivo S/ 35.00", "Recibido
S/ 50.00 · Vuelto S/ 15.00"), and so do the A4 and the HTML ticket. No worker and no SUNAT:
the boleta is issued in the sale's own transaction and printed before it is ever sent."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from tests.edge.billing.process_node import PASSWORD, init_billing_edge
from tests.pdftext import font_names, shown
from tests.procs import free_port, open_cash_and_register, running

pytestmark = pytest.mark.slow

EXPECTED = ["Forma de pago: Contado", "Efectivo S/ 35.00", "Recibido S/ 50.00 · Vuelto S/ 15.00"]


def _after_total(lines: list[str]) -> list[str]:
    start = next(i for i, t in enumerate(lines) if t.startswith("IMPORTE TOTAL"))
    return [t for t in lines[start + 1 :] if t in EXPECTED]


def test_ticket_from_a_real_edge_shows_cash_and_change(tmp_path: Path) -> None:
    port, unused = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    data = init_billing_edge(
        tmp_path / "edge", sim_url=f"http://127.0.0.1:{unused}", edge_port=port
    )
    with (
        running("edge", "serve", "--data-dir", str(data), "--port", str(port),
                ready_url=f"{url}/ready", log=tmp_path / "edge.log"),
        httpx.Client(base_url=url, timeout=30) as edge,
    ):  # fmt: skip
        r = edge.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        edge.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        patient = {"doc_type": "1", "doc_number": "45678912", "first_names": "ANA MARÍA",
                   "last_names": "PÉREZ QUISPE"}  # fmt: skip
        sale = {
            "patient_id": open_cash_and_register(edge, patient, opening_float="100.00"),
            "items": [catalog_id_for("service", "HEM-001")],  # S/ 35.00
            "document_type": "03",
            "payments": [{"method": "efectivo", "amount": "35.00", "tendered": "50.00"}],
        }
        r = edge.post("/api/orders", json=sale)
        assert r.status_code == 201, r.text
        docs = edge.get(f"/api/billing/by-order/{r.json()['id']}")
        assert docs.status_code == 200, docs.text
        (boleta,) = docs.json()["items"]
        assert boleta["full_number"].startswith("B")
        for fmt_ in ("ticket", "a4"):
            pdf = edge.get(f"/api/billing/{boleta['id']}/pdf", params={"format": fmt_})
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text
            lines = [t.strip() for t in shown(pdf.content)]
            assert _after_total(lines) == EXPECTED, (fmt_, lines)
            assert font_names(pdf.content) == {"Roboto", "RobotoBold"}
        page = edge.get(f"/api/billing/{boleta['id']}/ticket.html")
        assert page.status_code == 200, page.text
        text = [ln.strip() for ln in html.unescape(re.sub(r"<[^>]+>", "\n", page.text)).split("\n")]
        assert [ln for ln in text if ln in EXPECTED] == EXPECTED
