"""The hub dashboard end to end in headless Chromium against a real HTTP server (uvicorn).

An admin signs in at /panel, sees the KPIs and the SVG charts, changes a price in the catalog,
and visits the sedes, conflicts and closures pages. Screenshots go to the directory printed at
the start (and to /tmp/labred-screens when it exists).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import text

from central.runtime import HubRuntime
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    ready,
    shot,
)


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
    page.fill("input[name=password]", HUB_ADMIN_PASSWORD)
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
