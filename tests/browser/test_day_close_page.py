"""«Cierre del día» in headless Chromium against a real ``labred edge serve``.

A supervisor reads the day's figures, tries to close the day with a cash drawer still open
(the API's Spanish reason and a link to the drawers), closes the drawer, closes the day from
the confirm dialog with the keyboard, reopens it with a reason, and closes it again while a
second supervisor's stale page learns that the day is already closed. A past day is viewed
with the day picker; a receptionist neither sees the link nor the figures.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import XSS_NAME, EdgeNode, expect, new_tab, ready, shot
from tests.browser.conftest import sign_in_reception as sign_in
from tests.browser.supervisor_helpers import count_and_close, ensure_cash, sell

THIRTY_FIVE = {"20.00": 1, "10.00": 1, "5.00": 1}


@pytest.fixture
def other_page(browser: Any, edge_node: EdgeNode) -> Iterator[Any]:
    pg = new_tab(browser, edge_node.url)
    yield pg
    pg.context.close()
    assert not pg.js_errors, pg.js_errors


def _fig(page: Any, name: str) -> Any:
    return page.locator(f"#fig-summary tr[data-fig={name}] td")


def test_supervisor_closes_reopens_and_closes_the_day_again(
    page: Any, other_page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    sign_in(page, edge_node.supervisor)
    cash = ensure_cash(page)
    sell(page, edge_node.xss_patient_id, paid=True)

    page.get_by_role("link", name="Cierre del día").click()
    page.wait_for_url(re.compile(r"/recepcion/dia$"))
    ready(page)
    expect(page.locator("#day-status")).to_have_text("Abierto")
    expect(_fig(page, "orders")).to_have_text("1 · S/ 35.00")
    expect(_fig(page, "payments")).to_have_text("1 · S/ 35.00")
    expect(_fig(page, "cash_sessions")).to_have_text("1 (1)")
    expect(page.locator("#fig-payments tbody")).to_contain_text("Efectivo")
    expect(page.locator("#day-reopen")).to_be_hidden()

    # a drawer is still open: the API's reason, in Spanish, and the way to the drawers
    page.keyboard.press("Control+Enter")
    dialog = page.locator("#close-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#close-day-recap")).to_contain_text("1 orden(es) por S/ 35.00")
    page.keyboard.press("Control+Enter")
    expect(dialog.locator("[data-form-error]")).to_contain_text(
        "Hay 1 caja(s) abierta(s) del día; ciérrelas antes de cerrar el día."
    )
    link = dialog.locator("#close-day-open-link")
    expect(link).to_be_visible()
    assert re.search(r"/recepcion/caja\?dia=\d{4}-\d{2}-\d{2}$", link.get_attribute("href") or "")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#day-status")).to_have_text("Abierto")  # nothing changed

    count_and_close(page, cash["id"], THIRTY_FIVE)
    page.locator("#d-today").click()
    expect(_fig(page, "cash_sessions")).to_have_text("1 (0)")
    page.locator("#day-close").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=re.compile("Sí, cerrar el día")).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#day-status")).to_have_text("Cerrado (sellado)")
    expect(page.locator("#day-sealed-by")).to_contain_text(edge_node.supervisor)
    expect(page.locator("#day-close")).to_be_hidden()
    expect(_fig(page, "orders")).to_have_text("1 · S/ 35.00")  # the sealed figures
    shot(page, screens, "40-dia-cerrado")

    # reopening needs a reason (5 characters or more), typed in the dialog; the node is not
    # enrolled, so its answer is rewritten as an enrolled node's whose hub did not answer
    warning = "No se pudo consultar a la central: no respondió a tiempo. El día se reabrió igual."

    def hub_unchecked(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        if answer.status == 200:
            body.update(hub_checked=False, hub_check="no_disponible", warning=warning)
        route.fulfill(response=answer, json=body)

    page.route("**/api/cash/day/*/reopen", hub_unchecked)
    page.locator("#day-reopen").click()
    reopen = page.locator("#reopen-dialog")
    reopen.locator("textarea[name=reason]").fill("ups")
    page.keyboard.press("Control+Enter")
    expect(reopen.locator("[data-error-for=reason]")).to_contain_text("5 caracteres")
    reopen.locator("textarea[name=reason]").fill(f"Faltó un egreso {XSS_NAME}")
    page.keyboard.press("Control+Enter")
    expect(reopen).to_be_hidden()
    expect(page.locator("#day-status")).to_have_text("Reabierto")
    reopened = page.locator("#day-reopened")
    expect(reopened).to_contain_text("Reabierto 1 vez")
    expect(reopened).to_contain_text(f"Faltó un egreso {XSS_NAME}")  # text, not markup
    expect(page.locator("#day-close")).to_be_visible()
    expect(page.locator("#day-reopen")).to_be_hidden()
    expect(page.locator("#day-hub-warning")).to_have_text(warning)  # stays, unlike the toast
    shot(page, screens, "41-dia-reabierto")

    # a second supervisor's page shows the reopened day; the first closes it meanwhile
    sign_in(other_page, edge_node.supervisor)
    other_page.goto("/recepcion/dia")
    ready(other_page)
    expect(other_page.locator("#day-status")).to_have_text("Reabierto")
    page.locator("#day-close").click()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#day-status")).to_have_text("Cerrado (sellado)")
    expect(page.locator("#day-reopened")).to_contain_text("Reabierto 1 vez")
    other_page.locator("#day-close").click()
    other_page.keyboard.press("Control+Enter")
    expect(other_page.locator("#close-dialog [data-form-error]")).to_contain_text("ya está cerrado")
    assert not page.js_errors, page.js_errors


def test_day_picker_shows_a_past_day_and_receptionists_are_kept_out(
    page: Any, other_page: Any, edge_node: EdgeNode
) -> None:
    sign_in(page, edge_node.supervisor)
    page.goto("/recepcion/dia")
    ready(page)
    today = page.locator("#d-date").input_value()
    past = (dt.date.fromisoformat(today) - dt.timedelta(days=3)).isoformat()
    page.locator("#d-date").fill(past)
    page.locator("#d-date").press("Enter")
    expect(page.locator("#day-state")).to_contain_text(
        "Día " + dt.date.fromisoformat(past).strftime("%d/%m/%Y")
    )
    expect(page.locator("#day-status")).to_have_text("Abierto")
    expect(_fig(page, "orders")).to_have_text("0 · S/ 0.00")
    assert page.url.endswith(f"/recepcion/dia?dia={past}")

    sign_in(other_page, edge_node.receptionist)
    expect(other_page.get_by_role("link", name="Cierre del día")).to_be_hidden()
    other_page.goto("/recepcion/dia")
    ready(other_page)
    expect(other_page.locator("#day-filters [data-form-error]")).to_contain_text(
        "Solo un supervisor"
    )
    expect(other_page.locator("#day-close")).to_be_hidden()
    assert not page.js_errors, page.js_errors
