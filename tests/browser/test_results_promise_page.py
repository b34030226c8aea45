"""The counter tells the patient when the results are ready: after a sale in headless Chromium
against a real ``labred edge serve``, the done page says "Entrega de resultados: <día>
dd/mm/aaaa desde las HH:00" as the ticket prints it (the API's ``results_promised_at`` in
es-PE, Lima time), and so does the order's page; an order whose promise passed without results
carries a red "Atrasada" on its page and in the orders list, and ``?late=true`` lists it.

The same node sells an urgent order with its ordering physician from the keyboard: Alt+U marks
the sale URGENTE in amber; a CMP the node refuses shows at its field and the sale typed
survives a reload (the draft); once fixed, the done page says URGENTE (so do the ticket and the
tube labels it prints), the order's page shows the "Urgente" pill and "Médico solicitante: NAME
(CMP 45123)", the orders list marks the row "Urgente", and the next sale suggests the physician
as it is typed."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.results_promise import format_promise
from tests.browser.conftest import (
    ADMIN_PASSWORD,
    HAVE_CHROMIUM,
    SKIP_REASON,
    expect,
    ready,
    sign_in_reception,
)
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
PROMISE = re.compile(
    r"^Entrega de resultados: (lunes|martes|miércoles|jueves|viernes|sábado|domingo) "
    r"\d{2}/\d{2}/\d{4} desde las \d{2}:\d{2}$"
)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeProcess]:
    if not HAVE_CHROMIUM:
        pytest.skip(reason=SKIP_REASON)
    with counter_node(tmp_path_factory, "promise") as edge:
        yield edge


@pytest.fixture
def page(browser: Any, node: EdgeProcess) -> Iterator[Any]:
    pg = laptop_tab(browser, node.url)
    yield pg
    pg.context.close()


def _api_order(node: EdgeProcess, order_id: str) -> dict[str, Any]:
    with httpx.Client(base_url=node.url, timeout=30) as api:
        r = api.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        order = api.get(f"/api/orders/{order_id}", headers=headers)
        assert order.status_code == 200, order.text
        return dict(order.json())


def test_the_done_page_and_the_order_page_show_the_promise(
    page: Any, node: EdgeProcess, screens: Path
) -> None:
    sign_in_reception(page, CASHIERS[1])
    open_cash(page)
    pick_nunez(page)
    add_service(page, "HEM-001", "Hemograma")  # S/ 35.00
    page.keyboard.press("F4")
    page.keyboard.type("35")
    page.keyboard.press("Tab")
    page.keyboard.type("50")
    page.keyboard.press("Control+Enter")
    shown = page.locator("#done-promise")
    expect(shown).to_have_text(PROMISE)
    shot(page, screens, "promesa-venta-registrada")
    text = shown.text_content()
    url = order_url(page)
    order = _api_order(node, url.rsplit("/", 1)[1])
    promised = dt.datetime.fromisoformat(order["results_promised_at"].replace("Z", "+00:00"))
    assert text == f"Entrega de resultados: {format_promise(promised)}"
    expect(page.locator("#o-facts")).to_contain_text(format_promise(promised))
    expect(page.locator("#o-facts")).not_to_contain_text("Atrasada")  # promised in the future
    assert not page.js_errors, page.js_errors


def test_an_order_past_its_promise_is_marked_late_in_red(
    page: Any, node: EdgeProcess, screens: Path
) -> None:
    sign_in_reception(page, CASHIERS[2])
    open_cash(page)
    pick_nunez(page)
    add_service(page, "HEM-001", "Hemograma")
    page.keyboard.press("F4")
    page.keyboard.type("35")
    page.keyboard.press("Tab")
    page.keyboard.type("35")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-promise")).to_have_text(PROMISE)
    order_id = order_url(page).rsplit("/", 1)[1]
    # the promise passed an hour ago and the results are not out (status registrada)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with sqlite3.connect(node.data_dir / "edge.sqlite3") as db:
        db.execute(
            "UPDATE lab_order SET results_promised_at = ? WHERE id = ?",
            (past.replace(tzinfo=None).isoformat(timespec="microseconds") + "+00:00", order_id),
        )
    page.reload()
    expect(page.locator("#o-facts .badge.late")).to_have_text("Atrasada")
    page.goto(f"{node.url}/recepcion/ordenes")
    row = page.locator(f"#orders tbody tr[data-id='{order_id}']")
    mark = row.locator(".badge.late")
    expect(mark).to_have_text("Atrasada")
    color = mark.evaluate("el => getComputedStyle(el).backgroundColor")
    assert color == "rgb(179, 38, 30)", color  # red
    shot(page, screens, "promesa-atrasada")
    # "Solo atrasadas": the late ones of any day, the day filter set aside
    page.fill("#f-date", "2020-01-01")
    page.dispatch_event("#f-date", "change")
    expect(page.locator("#orders tbody tr[data-id]")).to_have_count(0)
    page.check("#f-late")
    expect(page.locator("#f-date")).to_be_disabled()
    expect(row).to_be_visible()
    late_rows = page.locator("#orders tbody tr[data-id]")
    assert late_rows.count() == late_rows.locator(".badge.late").count() >= 1
    assert "atrasadas=1" in page.url
    # only the late ones on request: the API's filter
    late = _api_late(node)
    assert order_id in late
    assert not page.js_errors, page.js_errors


def _api_late(node: EdgeProcess) -> set[str]:
    with httpx.Client(base_url=node.url, timeout=30) as api:
        r = api.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        page = api.get("/api/orders", params={"late": "true"}, headers=headers)
        assert page.status_code == 200, page.text
        return {o["id"] for o in page.json()["items"]}


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
