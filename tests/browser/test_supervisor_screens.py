"""Daily supervisor and cashier screens in headless Chromium against a real edge process.

Órdenes: each row shows the patient (name and document, as text) and the boleta's number
and SUNAT state. Caja: a supervisor lists the day's drawers, opens a receptionist's closed
drawer (with its adjustment), and reopens it with a reason from the keyboard. Auditoría: the
supervisor filters the log by action, user and dates and pages through it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.clock import business_date
from edge.audit import service as audit_service
from edge.auth.models import User
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from tests.browser.conftest import XSS_DOC, XSS_NAME, EdgeNode, expect, new_tab, ready, shot
from tests.browser.conftest import sign_in_reception as sign_in
from tests.browser.supervisor_helpers import count_and_close, ensure_cash, ok, sell


@pytest.fixture
def other_page(browser: Any, edge_node: EdgeNode) -> Iterator[Any]:
    pg = new_tab(browser, edge_node.url)
    yield pg
    pg.context.close()
    assert not pg.js_errors, pg.js_errors


def test_orders_list_shows_patient_and_invoice(
    page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    sign_in(page, edge_node.supervisor)
    ensure_cash(page)
    paid = sell(page, edge_node.xss_patient_id, paid=True)
    unpaid = sell(page, edge_node.xss_patient_id, paid=False)

    page.keyboard.press("F8")
    page.wait_for_url(re.compile(r"/recepcion/ordenes"))
    ready(page)
    head = page.locator("#orders thead")
    expect(head).to_contain_text("Paciente")
    expect(head).to_contain_text("Comprobante")
    row = page.locator(f"#orders tbody tr[data-id='{paid['id']}']")
    expect(row).to_contain_text(f"<img src=x onerror=alert(2)>, {XSS_NAME}")  # text, not markup
    expect(row).to_contain_text(f"DNI {XSS_DOC}")
    expect(row.locator(".invoice-cell")).to_contain_text(re.compile(r"Boleta B\w{3}-\d+"))
    expect(row.locator(".invoice-cell .pill-state")).to_have_text("pendiente de envío")
    other = page.locator(f"#orders tbody tr[data-id='{unpaid['id']}']")
    expect(other).to_contain_text("Boleta · sin emitir")
    expect(row.locator(".badge")).to_have_text("Registrada")  # one status badge per row
    expect(other).to_contain_text(f"DNI {XSS_DOC}")
    shot(page, screens, "42-ordenes-paciente-comprobante")
    assert not page.js_errors, page.js_errors


def test_supervisor_reopens_a_closed_cash_session(
    page: Any, other_page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    # the receptionist sells, counts and closes the drawer (through the API)
    cashier = other_page
    sign_in(cashier, edge_node.receptionist)
    cash = ensure_cash(cashier)
    sell(cashier, edge_node.xss_patient_id, paid=True)
    count_and_close(cashier, cash["id"], {"20.00": 1, "10.00": 1, "5.00": 1})

    sign_in(page, edge_node.supervisor)
    ok(page, "POST", f"/api/cash/sessions/{cash['id']}/adjustments",
       {"amount": "-10.00", "reason": "Billete contado dos veces"})  # fmt: skip
    page.keyboard.press("F6")
    page.wait_for_url(re.compile(r"/recepcion/caja$"))
    ready(page)
    card = page.locator("#sessions-card")
    expect(card).to_be_visible()
    row = card.locator(f"tr[data-id='{cash['id']}']")
    expect(row).to_contain_text(edge_node.receptionist)
    expect(row).to_contain_text("Cerrada")
    row.focus()
    page.keyboard.press("Enter")
    view = page.locator("#session-view")
    expect(view).to_be_visible()
    expect(view.locator("#sv-cashier")).to_contain_text(edge_node.receptionist)
    adjustment = view.locator("#sv-moves tr[data-kind=ajuste]")
    expect(adjustment).to_contain_text("Ajuste (corrección)")
    expect(adjustment).to_contain_text("-S/ 10.00")
    expect(adjustment).to_contain_text("Billete contado dos veces")
    expect(view.locator("#sv-facts")).to_contain_text("Diferencia con ajustes")

    # R: the reason is asked for, checked, and the drawer opens again
    row.focus()
    page.keyboard.press("r")
    dialog = page.locator("#reopen-session-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("textarea[name=reason]").fill("no")
    page.keyboard.press("Control+Enter")
    expect(dialog.locator("[data-error-for=reason]")).to_contain_text("motivo")
    dialog.locator("textarea[name=reason]").fill("Se omitió registrar un egreso")
    page.keyboard.press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("Abierta")
    expect(row).to_contain_text("1: Se omitió registrar un egreso")
    expect(view.locator("#sv-facts")).to_contain_text("Reaperturas")
    expect(view.locator("#sv-reopen")).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("reabierta")
    shot(page, screens, "43-caja-reabierta")

    # the receptionist's drawer is open again, with the same id
    cashier.goto("/recepcion/caja")
    ready(cashier)
    expect(cashier.locator("#cash-state")).to_contain_text("Caja abierta")
    expect(cashier.locator("#sessions-card")).to_be_hidden()  # not for receptionists
    assert ok(cashier, "GET", "/api/cash/sessions/current")["id"] == cash["id"]
    assert not page.js_errors, page.js_errors


def _many_events(data_dir: Path, *, count: int) -> tuple[str, str]:
    """``count`` label reprints by the receptionist today, and one by the supervisor three days
    ago; returns their user ids."""
    rt = EdgeRuntime.open(load_edge_settings(data_dir))
    try:
        with unit_of_work(rt.engine) as session:
            users = {u.username: u for u in session.query(User).all()}
            recep, sup = users["mrojas"], users["supervisora"]
            for i in range(count):
                audit_service.record(
                    session, action="label.reprint", clock=rt.clock, sede_id=rt.sede_id,
                    user_id=recep.id, username=recep.username, record_type="sample",
                    record_id=f"M-{i:03d}", details={"copies": 1},
                )  # fmt: skip
            old = audit_service.record(
                session, action="label.reprint", clock=rt.clock, sede_id=rt.sede_id,
                user_id=sup.id, username=sup.username, record_type="sample", record_id="M-OLD",
            )  # fmt: skip
            old.business_date = business_date(rt.clock.now()) - dt.timedelta(days=3)
            old.created_at = rt.clock.now() - dt.timedelta(days=3)
            return recep.id, sup.id
    finally:
        rt.engine.dispose()


def test_supervisor_filters_and_pages_the_audit_log(
    page: Any, other_page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    _, sup_id = _many_events(edge_node.data_dir, count=55)
    sign_in(page, edge_node.supervisor)
    page.get_by_role("link", name="Auditoría").click()
    page.wait_for_url(re.compile(r"/recepcion/auditoria$"))
    ready(page)
    rows = page.locator("#audit tbody tr[data-id]")
    expect(rows.first).to_be_visible()

    # by action, typed as the counter reads it
    page.locator("#au-action").fill("Reimpresión de etiqueta")
    page.locator("#au-action").press("Enter")
    expect(page.locator("#au-count")).to_have_text("56 evento(s)")
    expect(page.locator("#au-page")).to_have_text("1–50 de 56")
    expect(rows).to_have_count(50)
    others = page.locator("#audit tbody tr[data-id]:not([data-action='label.reprint'])")
    expect(others).to_have_count(0)
    expect(rows.first).to_contain_text("Reimpresión de etiqueta")
    expect(page.locator("#au-prev")).to_be_disabled()
    shot(page, screens, "44-auditoria")
    page.locator("#au-next").click()
    expect(page.locator("#au-page")).to_have_text("51–56 de 56")
    expect(rows).to_have_count(6)
    expect(page.locator("#audit tbody")).to_contain_text("M-OLD")  # the oldest, last
    expect(page.locator("#au-next")).to_be_disabled()

    # by user: the supervisor's only reprint
    expect(page.locator(f"#au-user option[value='{sup_id}']")).to_contain_text("(supervisora)")
    page.locator("#au-user").select_option(value=sup_id)
    expect(page.locator("#au-count")).to_have_text("1 evento(s)")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("supervisora")
    expect(page.locator("#au-page")).to_have_text("1–1 de 1")

    # by dates: today only leaves it out; a backwards range is refused in Spanish
    today = page.locator("#au-to").input_value()
    page.locator("#au-from").fill(today)
    page.locator("#au-from").press("Enter")
    expect(page.locator("#au-count")).to_have_text("0 evento(s)")
    expect(page.locator("#audit tbody")).to_contain_text("No hay eventos con estos filtros.")
    later = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
    page.locator("#au-from").fill(later)
    page.locator("#au-from").press("Enter")
    expect(page.locator("[data-error-for=date_from]")).to_contain_text("no puede ser posterior")
    assert f"desde={later}" in page.url  # the filters stay in the address (reload, back)

    # a receptionist has no link and no data
    sign_in(other_page, edge_node.receptionist)
    expect(other_page.get_by_role("link", name="Auditoría")).to_be_hidden()
    other_page.goto("/recepcion/auditoria")
    ready(other_page)
    refused = other_page.locator("#au-filters [data-form-error]")
    expect(refused).to_contain_text("Solo un supervisor")
    assert not page.js_errors, page.js_errors
