"""Across real processes (``labred edge serve`` + worker + SUNAT simulator): a boleta for
"Gonadotropina coriónica β cuantitativa" (demo catalog HOR-030) downloads as a PDF whose text
carries the β, A4 and ticket alike; the order's tube labels print with the same font (PDF)
and as UTF-8 ZPL."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.catalog_data import catalog_id_for
from tests.edge.billing.process_node import billing_node
from tests.pdftext import font_names, page_text
from tests.procs import until

pytestmark = pytest.mark.slow


def test_boleta_pdf_from_a_real_edge_keeps_beta(tmp_path: Path, sunat_data: Path) -> None:
    with billing_node(tmp_path, sunat_data) as node:
        edge = node.edge
        service_id = catalog_id_for("service", "HOR-030")
        service = edge.get(f"/api/catalog/services/{service_id}").json()
        assert "β" in service["name"], service
        sale = {
            "patient_id": node.patient_id,
            "items": [service_id],
            "document_type": "03",
            "payments": [{"method": "efectivo", "amount": service["price"]}],
        }
        r = edge.post("/api/orders", json=sale)
        assert r.status_code == 201, r.text
        boleta = until("the boleta to be issued", lambda: node.documents(r.json()["id"]) or None)[0]
        assert boleta["full_number"].startswith("B")
        for fmt in ("a4", "ticket"):
            pdf = edge.get(f"/api/billing/{boleta['id']}/pdf", params={"format": fmt})
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text
            text = page_text(pdf.content)
            assert service["name"] in text, text
            assert "?" not in text.replace("www.sunat.gob.pe", "")
            assert font_names(pdf.content) == {"Roboto", "RobotoBold"}

        order_id = r.json()["id"]
        labels = edge.get(f"/api/orders/{order_id}/labels", params={"format": "pdf"})
        assert labels.status_code == 200, labels.text
        assert "PÉREZ QUISPE, ANA MARÍA" in page_text(labels.content)
        assert "Roboto" in font_names(labels.content)
        zpl = edge.get(
            f"/api/orders/{order_id}/labels",
            params={"format": "zpl", "reason": "Impresora Zebra"},
        )
        assert zpl.status_code == 200, zpl.text
        assert "^CI28" in zpl.text and "PÉREZ QUISPE, ANA MARÍA" in zpl.content.decode("utf-8")
