"""The counter tells the patient when the results are ready: after a sale in headless Chromium
against a real ``labred edge serve``, the done page says "Entrega de resultados: <día>
dd/mm/aaaa desde las HH:00" as the ticket prints it (the API's ``results_promised_at`` in
es-PE, Lima time), and so does the order's page; an order whose promise passed without results
carries a red "Atrasada" on its page and in the orders list, and ``?late=true`` lists it."""

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
from tests.procs import EdgeProcess

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
