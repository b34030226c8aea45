"""The order page when SUNAT rejected a convenio's nota de crédito 07, in Chromium against real
processes (``labred edge serve``, ``labred edge worker``, ``labred sandbox sunat``): the rejected
note shows SUNAT's reason and what to do; a receptionist gets no button; the supervisor's button
issues the note again and the page lists it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.conftest import expect, new_tab, ready, sign_in_reception
from tests.edge.billing.process_node import PASSWORD
from tests.edge.billing.test_convenio_invoice_process import convenio_node
from tests.procs import until


def _sign_in(browser: Any, url: str, username: str) -> Any:
    page = new_tab(browser, url, timeout_ms=15_000)
    sign_in_reception(page, username, PASSWORD)
    return page


def test_supervisor_reissues_a_rejected_convenio_credit_note(
    tmp_path: Path, sunat_data: Path, browser: Any
) -> None:
    with convenio_node(tmp_path, sunat_data) as node:
        http, boss = node.http, node.boss
        order = node.sell("41234567", ["HEM-001"])
        factura_id = node.invoice_month(order["business_date"][:7])["id"]
        answered = node.answered
        assert until("the factura's answer", lambda: answered(factura_id))["state"] != "rechazado"
        httpx.post(f"{node.sim_url}/_sim/faults", json={"reject": 1, "reject_code": "2800"},
                   timeout=10).raise_for_status()  # fmt: skip
        r = http.post(f"/api/orders/{order['id']}/cancel", json={"reason": "Orden duplicada"},
                      headers=boss)  # fmt: skip
        assert r.status_code == 200, r.text
        notes = http.get(f"/api/billing/by-order/{order['id']}", headers=boss).json()["items"]
        first = next(d for d in notes if d["doc_type"] == "07")
        rejected = until("the NC 07 to be rejected", lambda: answered(first["id"]))
        assert rejected["state"] == "rechazado"

        url = f"http://127.0.0.1:{node.port}"
        order_path = f"/recepcion/ordenes/{order['id']}"
        clerk_page = _sign_in(browser, url, "rocio")
        clerk_page.goto(order_path)
        ready(clerk_page)
        row = clerk_page.locator("#o-invoices tbody tr", has_text=rejected["full_number"])
        expect(row).to_contain_text("rechazado")
        expect(row).to_contain_text("Vuelva a emitir la nota de crédito.")
        expect(clerk_page.locator("#o-convenio-credit")).to_be_hidden()  # not a supervisor's
        assert not clerk_page.js_errors
        clerk_page.context.close()

        page = _sign_in(browser, url, "sonia")
        page.goto(order_path)
        ready(page)
        button = page.locator("#o-convenio-credit")
        expect(button).to_be_visible()
        button.click()
        expect(page.locator("#toast")).to_contain_text("Emitida:")
        docs = http.get(f"/api/billing/by-order/{order['id']}", headers=boss).json()["items"]
        again = [d for d in docs if d["doc_type"] == "07" and d["id"] != first["id"]]
        assert len(again) == 1, docs
        expect(page.locator("#o-invoices tbody")).to_contain_text(again[0]["full_number"])
        assert until("the new NC 07's answer", lambda: answered(again[0]["id"]))["state"] == (
            "aceptado"
        )
        page.reload()
        ready(page)
        expect(page.locator("#o-convenio-credit")).to_be_hidden()  # credited: nothing to retry
        assert not page.js_errors
        page.context.close()
