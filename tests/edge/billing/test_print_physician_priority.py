"""The printed boleta (80 mm ticket PDF, A4, HTML ticket) carries what reception copied from the
medical order: "Médico: NAME (CMP 45123)" when the order names the ordering physician, and
"URGENTE" when it is urgent; a routine order without a physician prints neither. Real sales
through ``/api/orders`` (in process); the PDFs' text as a reader extracts it."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from edge.billing.printing import pdf_ticket
from tests.edge.billing.test_convenio_invoice import shop
from tests.edge.billing.test_print_payments import _data, _only_document, _renderings, _sale
from tests.edge.billing.test_ticket_credit_terms import pdf_text

__all__ = ["shop"]  # the fixture, re-used

PAY = [{"method": "efectivo", "amount": "35.00", "tendered": "50.00"}]
LONG_NAME = "Dra. Pérez de la Santísima Trinidad Rojas Gonzales del Castillo María Fernanda"


def test_an_urgent_order_with_its_physician_prints_both(shop: dict[str, Any]) -> None:
    order = _sale(
        shop,
        ["HEM-001"],
        PAY,
        priority="urgente",
        physician_cmp="CMP 045123",
        physician_name="dr. juan carlos  pérez rojas",
    )
    data = _data(shop["rt"], _only_document(shop, order["id"])["id"])
    assert data.physician == "Médico: JUAN CARLOS PÉREZ ROJAS (CMP 45123)"
    assert data.urgent
    for name, lines in _renderings(data).items():
        assert "Médico: JUAN CARLOS PÉREZ ROJAS (CMP 45123)" in lines, (name, lines)
        assert "URGENTE" in lines, (name, lines)
    # on the 80 mm ticket: under the customer, above the lines
    ticket = pdf_text(pdf_ticket(data))
    first_line = next(i for i, t in enumerate(ticket) if t.startswith("1 x"))
    assert ticket.index("DNI: " + data.customer_doc_number) < ticket.index("URGENTE") < first_line
    # the PDFs the counter opens say it too
    doc_id = _only_document(shop, order["id"])["id"]
    for fmt in ("ticket", "a4"):
        r = shop["api"].get(f"/api/billing/{doc_id}/pdf?format={fmt}", headers=shop["boss"])
        assert r.status_code == 200, r.text
        assert "URGENTE" in pdf_text(r.content), fmt
    html = shop["api"].get(f"/api/billing/{doc_id}/ticket.html", headers=shop["boss"])
    assert html.status_code == 200 and "Médico: JUAN CARLOS PÉREZ ROJAS (CMP 45123)" in html.text


def test_a_routine_order_without_a_physician_prints_neither(shop: dict[str, Any]) -> None:
    order = _sale(shop, ["HEM-001"], PAY)
    data = _data(shop["rt"], _only_document(shop, order["id"])["id"])
    assert data.physician is None and not data.urgent
    for name, lines in _renderings(data).items():
        assert not any("URGENTE" in t or t.startswith("Médico") for t in lines), (name, lines)


def test_a_long_physician_name_wraps_whole_on_the_ticket(shop: dict[str, Any]) -> None:
    order = _sale(shop, ["HEM-001"], PAY, physician_name=LONG_NAME, priority="urgente")
    data = _data(shop["rt"], _only_document(shop, order["id"])["id"])
    assert data.physician is not None and "(CMP" not in data.physician  # a name, no CMP
    ticket = pdf_ticket(data)
    assert len(PdfReader(io.BytesIO(ticket)).pages) == 1
    text = " ".join(" ".join(pdf_text(ticket)).split())  # the wrapped lines, justified
    assert data.physician in text and "URGENTE" in text  # the whole name, not cut
