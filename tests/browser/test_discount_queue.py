"""Reception's supervisor pages in headless Chromium against a real ``labred edge serve``.

The discount approval queue: a receptionist asks, from the order page, for a discount above
the limit (one within the limit is refused next to its field); a supervisor, signed in in
another browser context, approves it from "Descuentos por aprobar"; the receptionist's order
page follows the request and shows the discount. A rejection carries its reason back.
"Cierres de la central": the hub's closures of the sede's days, with their discrepancies,
rendered as text; a receptionist is told the page is for supervisors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.clock import business_date
from domain.ids import new_id
from edge.closures.models import HubClosure
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from tests.browser.conftest import (
    XSS_NAME,
    EdgeNode,
    expect,
    new_tab,
    ready,
    shot,
    sign_in_reception,
)

CREATE_ORDER = """async ([patientId, code]) => {
  const csrf = decodeURIComponent(document.cookie.split('; ')
    .find((c) => c.startsWith('labred_csrf=')).split('=')[1]);
  const found = await (await fetch(`/api/catalog/services/search?q=${code}&limit=1`)).json();
  const r = await fetch('/api/orders', {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
    body: JSON.stringify({patient_id: patientId, items: [found[0].id], document_type: '03'}),
  });
  return [r.status, await r.json()];
}"""


sign_in = sign_in_reception


def new_order(page: Any, edge_node: EdgeNode) -> dict[str, Any]:
    """An order at full price (HEM-001, S/ 35.00) registered through the API."""
    status, order = page.evaluate(CREATE_ORDER, [edge_node.xss_patient_id, "HEM-001"])
    assert status == 201, order
    assert order["total"] == "35.00"
    return dict(order)


@pytest.fixture
def other_page(browser: Any, edge_node: EdgeNode) -> Iterator[Any]:
    """A second, independent browser context (another person at another counter)."""
    pg = new_tab(browser, edge_node.url)
    yield pg
    pg.context.close()
    assert not pg.js_errors, pg.js_errors


def ask_discount(page: Any, kind: str, value: str, reason: str) -> None:
    form = page.locator("#dr-form")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=value]").fill(value)
    form.locator("input[name=reason]").fill(reason)
    form.locator("input[name=reason]").press("Control+Enter")


def test_receptionist_asks_and_supervisor_approves_in_another_browser(
    page: Any, other_page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    sign_in(page, edge_node.receptionist)
    expect(page.locator("nav a[href='/recepcion/descuentos']")).to_be_hidden()
    order = new_order(page, edge_node)
    page.goto(f"/recepcion/ordenes/{order['id']}")
    ready(page)
    form = page.locator("#dr-form")
    expect(form).to_be_visible()

    # within the limit (10 %): refused next to the value, what was typed stays
    ask_discount(page, "percent", "5", "Cortesía")
    expect(form.locator("[data-error-for=value]")).to_contain_text("dentro del límite")
    expect(form.locator("input[name=reason]")).to_have_value("Cortesía")
    # a local check: no reason, no request
    form.locator("input[name=reason]").fill("")
    form.locator("input[name=value]").fill("20")
    form.locator("input[name=value]").press("Control+Enter")
    expect(form.locator("[data-error-for=reason]")).to_contain_text("motivo")

    ask_discount(page, "percent", "20", "Paciente oncológico <b>campaña</b>")
    expect(page.locator("#dr-status")).to_have_text("Pendiente de aprobación")
    expect(page.locator("#dr-summary")).to_contain_text("S/ 7.00")
    expect(page.locator("#dr-summary")).to_contain_text("<b>campaña</b>")  # text, not markup
    expect(form).to_be_hidden()
    expect(page.locator("#pay-form")).to_be_hidden()  # no payment until the decision
    shot(page, screens, "20-descuento-pendiente")

    # the supervisor, in another browser, approves from the queue with the keyboard
    sup = other_page
    sign_in(sup, edge_node.supervisor)
    sup.keyboard.press("F9")
    sup.wait_for_url(re.compile(r"/recepcion/descuentos$"))
    ready(sup)
    row = sup.locator(f"#dq tbody tr[data-order='{order['number']}']")
    expect(row).to_contain_text("Paciente oncológico <b>campaña</b>")
    expect(row).to_contain_text(edge_node.receptionist)
    shot(sup, screens, "21-descuentos-por-aprobar")
    row.focus()
    sup.keyboard.press("a")
    dialog = sup.locator("#decide-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#decide-number")).to_have_text(order["number"])
    dialog.locator("textarea[name=reason]").fill("Campaña vigente")
    sup.keyboard.press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect(sup.locator("#dq tbody")).to_contain_text("No hay descuentos por aprobar.")
    sup.select_option("#dq-status", "aprobada")
    expect(sup.locator(f"#dq tbody tr[data-order='{order['number']}']")).to_contain_text(
        "Aprobada por supervisora — Campaña vigente"
    )

    # the receptionist's page follows the request (polling) and shows the discount
    expect(page.locator("#dr-status")).to_have_text("Aprobada", timeout=15_000)
    expect(page.locator("#o-facts")).to_contain_text("S/ 7.00")
    expect(page.locator("#o-facts")).to_contain_text("S/ 28.00")  # balance after the discount
    expect(page.locator("#dr-decision")).to_contain_text("Campaña vigente")
    expect(form).to_be_hidden()  # the order has its discount now
    expect(page.locator("#pay-form input[name=amount]")).to_have_value("28.00")
    shot(page, screens, "22-descuento-aprobado")
    assert not page.js_errors, page.js_errors


def test_supervisor_rejects_with_reason_and_the_receptionist_sees_it(
    page: Any, other_page: Any, edge_node: EdgeNode
) -> None:
    sign_in(page, edge_node.receptionist)
    order = new_order(page, edge_node)
    page.goto(f"/recepcion/ordenes/{order['id']}")
    ready(page)
    ask_discount(page, "amount", "20.00", "Cortesía de gerencia")
    expect(page.locator("#dr-status")).to_have_text("Pendiente de aprobación")

    sup = other_page
    sign_in(sup, edge_node.supervisor)
    sup.goto("/recepcion/descuentos")
    ready(sup)
    row = sup.locator(f"#dq tbody tr[data-order='{order['number']}']")
    row.get_by_role("button", name="Rechazar").click()
    dialog = sup.locator("#decide-dialog")
    sup.keyboard.press("Control+Enter")  # no reason: refused beside the field
    expect(dialog.locator("[data-error-for=reason]")).to_contain_text("motivo")
    dialog.locator("textarea[name=reason]").fill(XSS_NAME)
    sup.keyboard.press("Control+Enter")
    expect(dialog).to_be_hidden()

    page.keyboard.press("r")  # the receptionist refreshes instead of waiting
    expect(page.locator("#dr-status")).to_have_text("Rechazada")
    expect(page.locator("#dr-decision")).to_contain_text(XSS_NAME)
    expect(page.locator("#o-facts")).to_contain_text("S/ 35.00")  # full price
    expect(page.locator("#dr-form")).to_be_visible()  # may ask again
    assert not page.js_errors, page.js_errors


def _closure(sede_id: str, day: dt.date, **fields: Any) -> HubClosure:
    now = dt.datetime.now(dt.UTC)
    return HubClosure(id=new_id(), sede_id=sede_id, business_date=day, updated_at=now, **fields)


def _closures(data_dir: Path) -> dict[str, dt.date]:
    rt = EdgeRuntime.open(load_edge_settings(data_dir))
    try:
        sede = rt.sede_id
        assert sede is not None
        today = business_date(rt.clock.now())
        days = {
            "ok": today - dt.timedelta(days=40),  # outside the default 30 days
            "bad": today - dt.timedelta(days=2),
            "fine": today - dt.timedelta(days=1),
        }
        now = dt.datetime.now(dt.UTC)
        with unit_of_work(rt.engine) as session:
            for day in (days["ok"], days["fine"]):
                session.add(_closure(sede, day, status="reconciled", closed_at=now))
            session.add(_closure(
                sede, days["bad"], status="reopened",
                discrepancy_count=2, critical_count=1, has_late_adjustments=True,
                late_adjustment_count=1, reopen_count=1, reopened_at=now, reopened_by="gerente",
                reopen_reason=XSS_NAME,
                summary=[
                    {"kind": "seal_mismatch", "severity": "critical",
                     "message": "El sello del día no coincide", "records": 3},
                    {"kind": "cash_short", "severity": "warning",
                     "message": "<img src=x onerror=alert(3)> faltante", "records": 1},
                ],
            ))  # fmt: skip
        return days
    finally:
        rt.engine.dispose()


def test_supervisor_sees_the_hubs_closures_of_the_sede(
    page: Any, other_page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    days = _closures(edge_node.data_dir)
    sign_in(page, edge_node.supervisor)
    page.click("nav a[href='/recepcion/cierres']")
    page.wait_for_url(re.compile(r"/recepcion/cierres$"))
    ready(page)
    table = page.locator("#closures tbody")
    expect(table.locator("tr[data-date]")).to_have_count(2)  # the 40-day-old one is outside
    bad = table.locator(f"tr[data-date='{days['bad'].isoformat()}']")
    expect(bad).to_contain_text("Reabierto")
    expect(bad).to_contain_text("2 (1 críticas)")
    expect(bad).to_contain_text("El sello del día no coincide")
    expect(bad).to_contain_text("<img src=x onerror=alert(3)> faltante")
    expect(bad).to_contain_text(XSS_NAME)
    expect(bad).to_contain_text("1 ajuste(s) después del cierre")
    expect(page.locator("#cl-count")).to_have_text("2 día(s) · 1 con discrepancias")
    shot(page, screens, "23-cierres-central")

    # a wider range brings the older day; a reversed range is refused beside "Desde"
    page.fill("#cl-from", (days["ok"] - dt.timedelta(days=1)).isoformat())
    page.locator("#cl-from").press("Enter")
    expect(table.locator("tr[data-date]")).to_have_count(3)
    page.fill("#cl-from", days["fine"].isoformat())
    page.fill("#cl-to", days["bad"].isoformat())
    page.locator("#cl-to").press("Enter")
    expect(page.locator("[data-error-for=desde]")).to_contain_text("posterior")

    # a receptionist has no link and is told the page is for supervisors
    other = other_page
    sign_in(other, edge_node.receptionist)
    expect(other.locator("nav a[href='/recepcion/cierres']")).to_be_hidden()
    other.goto("/recepcion/cierres")
    ready(other)
    expect(other.locator("#cl-filters [data-form-error]")).to_contain_text("Solo un supervisor")
    assert not page.js_errors, page.js_errors
