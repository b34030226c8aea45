"""No page of either app breaks its Content-Security-Policy (``style-src 'self'`` without
'unsafe-inline', ``script-src 'self'``): every reception page, the printable ticket and every
hub dashboard page load in Chromium without one ``securitypolicyviolation`` event or CSP console
message. An inline ``<style>``, a ``style="…"`` attribute or ``setAttribute('style', …)``
would each raise one."""

from __future__ import annotations

from typing import Any

from central.web.router import PAGES
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    EdgeNode,
    new_tab,
    ready,
    sign_in_hub,
    sign_in_reception,
)
from tests.browser.supervisor_helpers import ensure_cash, ok, sell

#: Every violation, as the page sees it, goes to the console where the test listens.
REPORT_VIOLATIONS = """document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP-VIOLATION ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline')
                + ' at ' + e.sourceFile + ':' + e.lineNumber);
});"""
PRINT_STUB = "window.print = () => {};"


def _watch(page: Any) -> list[str]:
    seen: list[str] = []

    def on_console(message: Any) -> None:
        text = message.text
        if "CSP-VIOLATION" in text or "Content Security Policy" in text:
            seen.append(f"{page.url}: {text}")

    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("console", on_console)
    return seen


def _visit(page: Any, path: str) -> None:
    page.goto(path)
    ready(page)
    page.wait_for_load_state("networkidle")


def test_reception_pages_and_the_ticket_raise_no_csp_violation(
    browser: Any, edge_node: EdgeNode
) -> None:
    page = new_tab(browser, edge_node.url)
    try:
        seen = _watch(page)
        _visit(page, "/recepcion/ingresar")
        sign_in_reception(page, edge_node.supervisor)
        ensure_cash(page)
        order = sell(page, edge_node.xss_patient_id, paid=True)
        order_id = order["id"]
        paths = [
            "/recepcion",
            "/recepcion/pacientes/nuevo",
            f"/recepcion/pacientes/{edge_node.xss_patient_id}",
            "/recepcion/ordenes",
            "/recepcion/ordenes/nueva",
            f"/recepcion/ordenes/{order_id}",
            "/recepcion/caja",
            "/recepcion/descuentos",
            "/recepcion/cierres",
            "/recepcion/dia",
            "/recepcion/auditoria",
        ]
        for path in paths:
            _visit(page, path)
        invoices = ok(page, "GET", f"/api/billing/by-order/{order_id}")
        items = invoices["items"] if isinstance(invoices, dict) else invoices
        assert items, "the paid order has its boleta"
        page.context.add_init_script(PRINT_STUB)
        page.goto(f"/api/billing/{items[0]['id']}/ticket.html")
        page.wait_for_load_state("networkidle")
        # the external stylesheet applied: monospace body, 80 mm page
        family = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "monospace" in family
        assert page.locator("h2").evaluate("e => getComputedStyle(e).textAlign") == "center"
        assert not seen, "\n".join(seen)
        assert not page.js_errors, page.js_errors
    finally:
        page.context.close()


def test_hub_dashboard_pages_raise_no_csp_violation(browser: Any, hub_url: str) -> None:
    page = new_tab(browser, hub_url)
    try:
        seen = _watch(page)
        _visit(page, "/panel/ingresar")
        sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD)
        for name, (path, _) in PAGES.items():
            if name != "login":
                _visit(page, path)
        assert not seen, "\n".join(seen)
        assert not page.js_errors, page.js_errors
    finally:
        page.context.close()
