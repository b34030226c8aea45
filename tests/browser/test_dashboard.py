"""The hub dashboard end to end in headless Chromium against a real HTTP server (uvicorn).

An admin signs in at /panel, sees the KPIs and the SVG charts, changes a price in the catalog,
and visits the sedes, conflicts and closures pages. Screenshots go to the directory printed at
the start (and to /tmp/labred-screens when it exists).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain.clock import business_date
from tests.browser.conftest import HAVE_CHROMIUM, SKIP_REASON
from tests.central.reconciliation.builders import SedeDay
from tests.procs import free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=SKIP_REASON),
]
ADMIN_PASSWORD = "admin-central-clave-1"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


@pytest.fixture
def hub_url(hub_runtime: HubRuntime) -> Iterator[str]:
    import uvicorn

    from central.app import create_app

    with unit_of_work(hub_runtime.engine) as session:
        seed_demo(session, clock=hub_runtime.clock, sedes=2, admin_password=ADMIN_PASSWORD)
    today = business_date(hub_runtime.clock.now())
    for code, back, totals in (("S01", 1, ("80.00", "45.50")), ("S02", 2, ("120.00",))):
        day = SedeDay(hub_runtime.engine, code, today - dt.timedelta(days=back))
        for total in totals:
            day.payment(day.order(total, services=[("HEM01", "Hemograma", total)]))
        day.push(day.all_rows())
    app = create_app(hub_runtime.settings, runtime=hub_runtime)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def hub_page(browser: Any, hub_url: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=hub_url, locale="es-PE", timezone_id="America/Lima",
        viewport={"width": 1366, "height": 900},
    )  # fmt: skip
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not dialogs, f"a script dialog opened: {dialogs}"


def ready(page: Any) -> None:
    page.locator("body[data-ready]").wait_for()


def shot(page: Any, screens: Path, name: str) -> None:
    page.screenshot(path=str(screens / f"{name}.png"), full_page=True)


def test_admin_signs_in_sees_the_dashboard_and_changes_a_price(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    page.goto("/panel")
    page.wait_for_url(re.compile(r"/panel/ingresar\?next="))
    ready(page)
    shot(page, screens, "hub-01-ingresar")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "clave-equivocada")
    page.keyboard.press("Enter")
    expect(page.locator("#login-error")).to_be_visible()
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/panel$"))
    ready(page)
    expect(page.locator("#hdr-user")).to_contain_text("Administrador")
    expect(page.locator("[data-kpi=sales] strong")).to_contain_text("S/")
    for name in ("sales_by_day", "payment_methods", "top_services", "patients", "monthly"):
        expect(page.locator(f"#chart-{name} svg.chart")).to_have_count(1)
    expect(page.locator("[data-kpi=sales] strong")).to_have_text("S/ 245.50")
    chart = page.locator("#chart-sales_by_day")
    expect(chart.locator("rect.bar[data-label=S01]")).to_have_count(1)
    expect(chart.locator("rect.bar[data-label=S02]")).to_have_attribute("data-value", "120.00")
    expect(page.locator("select[name=sede] option")).to_have_count(3)  # Todas + 2 sedes
    shot(page, screens, "hub-02-tablero")

    page.click("nav a[href='/panel/catalogo']")
    page.wait_for_url(re.compile(r"/panel/catalogo$"))
    ready(page)
    first = page.locator("#services tbody tr").first
    code = first.get_attribute("data-code")
    service_id = first.get_attribute("data-id")
    assert code and service_id
    row = page.locator(f"#services tr[data-code='{code}']")
    row.locator("input[name=price]").fill("abc")
    row.locator("button").click()
    expect(row.locator(".error")).not_to_be_empty()  # a Spanish message next to the field
    row.locator("input[name=price]").fill("123.45")
    row.locator("input[name=reason]").fill("Ajuste de prueba")
    row.locator("button").click()
    expect(page.locator("#flash")).to_contain_text("123.45")
    expect(row.locator("[data-price]")).to_have_text("S/ 123.45")
    shot(page, screens, "hub-03-catalogo")
    page.reload()
    ready(page)
    expect(page.locator(f"#services tr[data-code='{code}'] [data-price]")).to_have_text("S/ 123.45")
    # what the sedes pull: the change feed carries the new price of that service
    with hub_runtime.engine.connect() as conn:
        payloads = (
            conn.execute(
                text(
                    "SELECT payload FROM sync_change_feed WHERE record_type = 'catalog_service' "
                    "AND record_id = :id ORDER BY cursor"
                ),
                {"id": service_id},
            )
            .scalars()
            .all()
        )
    assert payloads, "the price change was not put on the change feed"
    assert payloads[-1]["price_cents"] == 12345

    for path, name in (("sedes", "hub-04-sedes"), ("conflictos", "hub-05-conflictos"),
                       ("cierres", "hub-06-cierres")):  # fmt: skip
        page.goto(f"/panel/{path}")
        ready(page)
        expect(page.locator("table.grid tbody").first).not_to_contain_text("Cargando")
        shot(page, screens, name)
    assert page.js_errors == []
