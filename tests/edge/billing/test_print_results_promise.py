"""The printed boleta (80 mm ticket, A4, HTML ticket) tells the patient when the results are
ready: "Entrega de resultados: martes 01/12/2026 desde las 17:00", from the order's stored
promise; an order sold before the promise existed (NULL) prints none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text

from domain.clock import LIMA
from domain.results_promise import format_promise
from edge.billing.printing import pdf_a4, pdf_ticket
from tests.edge.billing.test_convenio_invoice import shop
from tests.edge.billing.test_print_payments import _data, _only_document, _renderings, _sale
from tests.edge.billing.test_ticket_credit_terms import pdf_text

__all__ = ["shop"]  # the fixture, re-used

PAY = [{"method": "efectivo", "amount": "35.00", "tendered": "50.00"}]


def test_every_printed_form_says_when_the_results_are_ready(shop: dict[str, Any]) -> None:
    order = _sale(shop, ["HEM-001"], PAY)
    promised = dt.datetime.fromisoformat(order["results_promised_at"].replace("Z", "+00:00"))
    expected = f"Entrega de resultados: {format_promise(promised)}"
    local = promised.astimezone(LIMA)
    assert f"{local:%d/%m/%Y} desde las {local:%H}:00" in expected  # on the hour, Lima time
    data = _data(shop["rt"], _only_document(shop, order["id"])["id"])
    assert data.results_promise == expected
    when = format_promise(promised)
    for name, lines in _renderings(data).items():
        if name.startswith("ticket"):  # 80 mm: the heading, then the day and hour, in bold
            at = lines.index("Entrega de resultados:")
            assert lines[at + 1] == when, (name, lines)
        else:
            assert expected in lines, (name, lines)
    # printed above the lines, under the customer
    ticket = pdf_text(pdf_ticket(data))
    assert ticket.index(when) < ticket.index(next(t for t in ticket if t.startswith("1 x")))
    r = shop["api"].get(
        f"/api/billing/{data_id(shop, order)}/pdf?format=ticket", headers=shop["boss"]
    )
    assert r.status_code == 200 and when in pdf_text(r.content)
    a4 = shop["api"].get(f"/api/billing/{data_id(shop, order)}/pdf?format=a4", headers=shop["boss"])
    assert a4.status_code == 200 and expected in pdf_text(a4.content)


def data_id(shop: dict[str, Any], order: dict[str, Any]) -> str:
    return str(_only_document(shop, order["id"])["id"])


def test_an_order_without_a_promise_prints_none(shop: dict[str, Any]) -> None:
    order = _sale(shop, ["HEM-001"], PAY)
    with shop["rt"].engine.begin() as conn:
        conn.execute(
            text("UPDATE lab_order SET results_promised_at = NULL WHERE id = :i"),
            {"i": order["id"]},
        )
    data = _data(shop["rt"], _only_document(shop, order["id"])["id"])
    assert data.results_promise is None
    assert not any("Entrega de resultados" in t for t in pdf_text(pdf_a4(data)))
