"""SUNAT down: the counter keeps selling and the page says so (real edge, real worker).

Before the fix the header said "SUNAT: 1 en cola" (amber, as after any sale) while the worker
could not reach SUNAT at all, and the order's page showed the raw state ``error_red``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    XSS_DOC,
    EdgeNode,
    expect,
    new_tab,
    ready,
    serve_node,
    sign_in_reception,
)
from tests.procs import free_port


@pytest.fixture(scope="module")
def offline_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeNode]:
    """An edge and its worker whose hub and SUNAT endpoints answer nothing."""
    env = {
        "LABRED_EDGE_HUB_URL": f"http://127.0.0.1:{free_port()}",
        "LABRED_EDGE_SUNAT_URL": f"http://127.0.0.1:{free_port()}/ol-ti-itcpfegem/billService",
        "LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "100000",
    }
    with serve_node(tmp_path_factory, "edge-offline", env, worker=True) as node:
        yield node


@pytest.fixture
def page(browser: Any, offline_node: EdgeNode) -> Iterator[Any]:
    pg = new_tab(browser, offline_node.url, timeout_ms=20_000)
    yield pg
    pg.context.close()


def test_sunat_down_the_counter_sells_and_the_page_says_so(
    page: Any, offline_node: EdgeNode, screens: Path
) -> None:
    sign_in_reception(page, offline_node.receptionist)
    page.keyboard.press("F3")
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva"))
    ready(page)
    page.locator("#patient-q").fill(XSS_DOC)
    expect(page.locator("#patient-results [role=option]")).to_have_count(1)
    page.locator("#patient-q").press("Enter")
    box = page.locator("#svc-q")
    box.fill("HEM-004")
    expect(page.locator("#svc-results [role=option]").first).to_contain_text("Hemoglobina")
    box.press("Enter")
    page.locator(".pay-row [data-f=method]").first.select_option("yape")
    page.locator(".pay-row [data-f=reference]").first.fill("OP 1001")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-invoice")).to_contain_text(re.compile(r"Boleta B\w{3}-\d+"))
    expect(page.locator("#done-invoice")).not_to_contain_text("error_red")

    # the worker tried and found no SUNAT: the header says so, in red, and why it is fine
    sunat = page.locator("#st-sunat")
    expect(sunat).to_have_text("SUNAT: sin conexión, 1 en cola")
    expect(sunat).to_have_attribute("data-state", "bad")
    expect(sunat).to_have_attribute("title", re.compile("Puede seguir vendiendo"))
    expect(page.locator("#st-hub")).to_have_text("Central: sin conexión")

    page.locator("#done-order").click()
    page.wait_for_url(re.compile(r"/recepcion/ordenes/[0-9a-f-]{36}$"))
    ready(page)
    state = page.locator("#o-invoices tbody td[data-state]").first
    offline = "sin conexión con SUNAT (se reenvía solo)"
    for _ in range(20):  # a page read during one of the worker's retries shows it in flight
        if state.inner_text() == offline:  # (the page reads once): open it again
            break
        page.wait_for_timeout(250)
        page.reload()
        ready(page)
    expect(state).to_have_text(offline)
    page.screenshot(path=str(screens / "qa-sunat-caido.png"), full_page=True)

    # and the counter keeps selling, ticket included
    page.keyboard.press("F3")
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva"))
    ready(page)
    page.locator("#patient-q").fill(XSS_DOC)
    expect(page.locator("#patient-results [role=option]")).to_have_count(1)
    page.locator("#patient-q").press("Enter")
    box.fill("HEM-005")
    expect(page.locator("#svc-results [role=option]").first).to_contain_text("Hematocrito")
    box.press("Enter")
    page.locator(".pay-row [data-f=method]").first.select_option("plin")
    page.locator(".pay-row [data-f=reference]").first.fill("OP 1002")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-ticket")).to_be_visible()
    expect(sunat).to_have_text(re.compile(r"^SUNAT: sin conexión, 2 en cola"))
    assert not page.js_errors, page.js_errors
