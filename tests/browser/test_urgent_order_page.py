"""An urgent order with its ordering physician, sold from the keyboard in headless Chromium
against a real ``labred edge serve``: Alt+U marks the sale URGENTE in amber; a CMP the node
refuses shows at its field and the sale typed survives a reload (the draft); once fixed, the
done page says URGENTE (so do the ticket and the tube labels it prints), the order's page shows
the "Urgente" pill and "Médico solicitante: NAME (CMP 45123)", and the orders list marks the
row "Urgente"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import HAVE_CHROMIUM, SKIP_REASON, expect, ready, sign_in_reception
from tests.browser.counter_helpers import (
    CASHIERS,
    add_service,
    counter_node,
    laptop_tab,
    open_cash,
    order_url,
    pick_nunez,
    shot,
)
from tests.pdftext import shown
from tests.procs import EdgeProcess

URGENT = "URGENTE"
AMBER = "rgb(180, 83, 9)"  # .badge.urgent (the late mark is red: rgb(179, 38, 30))


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeProcess]:
    if not HAVE_CHROMIUM:
        pytest.skip(reason=SKIP_REASON)
    with counter_node(tmp_path_factory, "urgent") as edge:
        yield edge


@pytest.fixture
def page(browser: Any, node: EdgeProcess) -> Iterator[Any]:
    pg = laptop_tab(browser, node.url)
    yield pg
    pg.context.close()


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement.name || document.activeElement.id"))


def test_an_urgent_sale_with_its_physician_from_the_keyboard(
    page: Any, node: EdgeProcess, screens: Path
) -> None:
    sign_in_reception(page, CASHIERS[0])
    open_cash(page)
    pick_nunez(page)
    add_service(page, "HEM-001", "Hemograma")  # S/ 35.00; the keyboard stays in the search
    box = page.locator("#medical-box")
    expect(box).not_to_have_class(re.compile(r"is-urgent"))
    page.keyboard.press("Alt+u")
    expect(box).to_have_class(re.compile(r"is-urgent"))
    expect(page.locator("#urgent-mark")).to_be_visible()
    expect(page.locator("#pay-urgent")).to_have_text("URGENTE")
    assert _focused(page) == "svc-q"  # Alt+U leaves the keyboard where it was
    # Tab: the cart's "Quitar", the priority (Urgente), the CMP, the physician's name
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert _focused(page) == "priority"
    expect(page.locator("input[name=priority][value=urgente]")).to_be_checked()
    page.keyboard.press("Tab")
    assert _focused(page) == "physician_cmp"
    page.keyboard.type("45l23")  # an "l" for a "1"
    page.keyboard.press("Tab")
    page.keyboard.type("Dra. Ana Lucía Torres Vega")
    page.keyboard.press("F4")
    page.keyboard.type("35")
    page.keyboard.press("Control+Enter")
    error = page.locator("[data-error-for=physician_cmp]")
    expect(error).to_have_text(re.compile(r"CMP del médico son solo números"))
    cmp = page.locator("input[name=physician_cmp]")
    expect(cmp).to_have_attribute("aria-invalid", "true")
    expect(cmp).to_be_focused()
    shot(page, screens, "urgente-cmp-invalido")

    page.reload()  # the sale typed comes back from the draft, urgent and all
    ready(page)
    expect(cmp).to_have_value("45l23")
    expect(page.locator("input[name=physician_name]")).to_have_value("Dra. Ana Lucía Torres Vega")
    expect(page.locator("input[name=priority][value=urgente]")).to_be_checked()
    expect(box).to_have_class(re.compile(r"is-urgent"))
    expect(page.locator("#cart tbody")).to_contain_text("Hemograma")
    cmp.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("CMP 045123")
    page.keyboard.press("Control+Enter")
    done = page.locator("#done-urgent")
    expect(done).to_have_text("URGENTE")
    expect(done).to_be_visible()
    shot(page, screens, "urgente-registrada")
    # what the counter prints from here, served by the node: the ticket and the tube labels
    ticket = page.request.get(str(page.locator("#done-ticket").get_attribute("href")))
    assert ticket.status == 200
    assert "Médico: ANA LUCÍA TORRES VEGA (CMP 45123)" in ticket.text() and URGENT in ticket.text()
    labels = page.request.get(str(page.locator("#done-labels").get_attribute("href")))
    assert labels.status == 200 and URGENT in [t.strip() for t in shown(labels.body())]

    order_id = order_url(page).rsplit("/", 1)[1]
    pill = page.locator("#o-urgent")
    expect(pill).to_have_text("Urgente")
    expect(pill).to_be_visible()
    assert pill.evaluate("el => getComputedStyle(el).backgroundColor") == AMBER
    facts = page.locator("#o-facts")
    expect(facts).to_contain_text("Médico solicitante")
    expect(facts).to_contain_text("ANA LUCÍA TORRES VEGA (CMP 45123)")
    shot(page, screens, "urgente-orden")

    page.keyboard.press("F8")
    page.wait_for_url(re.compile(r"/recepcion/ordenes$"))
    ready(page)
    row = page.locator(f"#orders tbody tr[data-id='{order_id}']")
    expect(row.locator(".badge.urgent")).to_have_text("Urgente")
    assert page.locator("#orders .badge.urgent").count() == 1  # only that order

    # the next sale: the physician is suggested from the first letters (no accents needed),
    # and naming them fills their CMP
    page.keyboard.press("F3")
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva"))
    ready(page)
    name = page.locator("input[name=physician_name]")
    name.fill("torr")
    suggested = page.locator("#physician-names option")
    expect(suggested).to_have_count(1)
    assert suggested.first.get_attribute("value") == "ANA LUCÍA TORRES VEGA"
    name.fill("ANA LUCÍA TORRES VEGA")
    expect(page.locator("input[name=physician_cmp]")).to_have_value("45123")
    assert not page.js_errors, page.js_errors
