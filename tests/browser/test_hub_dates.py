"""Business dates on the hub's pages read as people in Peru read them: "28/11/2026".

In headless Chromium against a hub served over real HTTP (tests/browser/conftest.py
``hub_url``): the admin reconciles two days, schedules a price and records a convenio payment,
then opens the tablero, the closures (list and detail), the catalog's price history, the
convenios (list and account), the audit trail, the SUNAT alarms, the notifications and the
conflicts. No ISO date ("2026-11-28") shows in the visible text of any of them, while the
date inputs keep ISO values (a ``<input type=date>`` needs them) and ``data-*`` attributes
keep ISO for scripts. The one formatter, ``fecha`` of lib.js, is checked on its edge cases in
the page itself (America/Lima, where ``new Date("2026-01-01")`` is still 31/12/2025).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from central.runtime import HubRuntime
from domain.catalog_data import catalog_id_for
from domain.clock import business_date
from domain.ids import new_id, sede_id_for
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    ready,
    shot,
    sign_in_hub,
)
from tests.central.reconciliation.builders import SedeDay, push_rows

CONV = catalog_id_for("convenio", "CONV-SALUDPLUS")
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ISO_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _dmy(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _billed_convenio(rt: HubRuntime, today: dt.date) -> dt.date:
    """S01: an order of SALUD PLUS 40 days ago billed in F001-1 the same day; returns that day."""
    day = SedeDay(rt.engine, "S01", today - dt.timedelta(days=40))
    order = day.order("100.00", covered="80.00", convenio_id=CONV)
    day.push_day(seal=False)
    inv = day.invoice(None, doc_type="01", series="F001", number=1, total=8000)
    inv |= {"customer_doc_type": "6", "customer_doc_number": "20503123453", "void_requested": False}
    link = {
        "id": new_id(), "sede_id": day.sede_id, "convenio_id": CONV,
        "invoice_id": inv["id"], "order_id": order["id"], "order_number": order["number"],
        "month": order["business_date"][:7], "amount": 8000,
        "business_date": day.day.isoformat(), "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "credit_note_id": None,
    }  # fmt: skip
    push_rows(rt.engine, [("invoice", inv), ("convenio_invoice_order", link)], node_id="node-S01")
    return day.day


def _call(page: Any, method: str, path: str, body: Any = None) -> Any:
    """The JSON API with the page's own session; fails the test on an error."""
    status, data = page.evaluate(
        """async ([method, path, body]) => {
          const r = await fetch(path, {method, headers: {'Content-Type': 'application/json',
            Authorization: 'Bearer ' + sessionStorage.getItem('labred_hub_access')},
            body: body === null ? undefined : JSON.stringify(body)});
          return [r.status, await r.json()];
        }""",
        [method, path, body],
    )
    assert status in (200, 201), (path, data)
    return data


def _no_iso_text(page: Any, where: str) -> str:
    """The visible text of the page's main content, asserted free of ISO dates."""
    text = str(page.locator("#main").inner_text())
    assert not ISO_DAY.findall(text), f"{where}: ISO dates shown: {ISO_DAY.findall(text)}"
    return text


def _open(page: Any, path: str) -> None:
    page.goto(path)
    ready(page)


def test_business_dates_read_dd_mm_yyyy_on_every_page(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    today = business_date(hub_runtime.clock.now())
    s01_day, s02_day = today - dt.timedelta(days=1), today - dt.timedelta(days=2)
    billed = _billed_convenio(hub_runtime, today)
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD)
    for code, day in (("S01", s01_day), ("S02", s02_day)):  # audited: run by the admin
        body = {"sede_id": sede_id_for(code), "date": day.isoformat()}
        _call(page, "POST", "/api/reconciliation/execute", body)
    hem = _call(page, "GET", "/api/catalog/services?q=HEM-001")["items"][0]
    start = today + dt.timedelta(days=10)
    _call(page, "PUT", f"/api/catalog/services/{hem['id']}", {
        "price": "33.00", "price_reason": "Tarifario nuevo",
        "price_effective_from": start.isoformat(),
    })  # fmt: skip
    paid_on = today - dt.timedelta(days=3)
    _call(page, "POST", f"/api/convenios/{CONV}/payments", {
        "amount": "30.00", "date": paid_on.isoformat(), "method": "efectivo",
        "reference": "", "note": "", "invoice": "F001-1",
    })  # fmt: skip

    # ---- the formatter: one function, no Date, so no time zone moves the day
    cases: list[Any] = [
        None, "", "2026-11-28", "2026-01-01", "2024-02-29", "2026-02-29", "2026-13-01",
        "2026-11-28T10:00:00Z", "28/11/2026", "abc", 20261128,
    ]  # fmt: skip
    shown = page.evaluate(
        """async (cases) => {
          const app = document.querySelector('script[type=module]').src;
          const src = app.replace(/app\\.js$/, 'lib.js');
          const { fecha } = await import(src);
          return [...cases.map((c) => fecha(c)), fecha(undefined)];
        }""",
        cases,
    )
    assert shown == [
        "—",
        "—",
        "28/11/2026",
        "01/01/2026",
        "29/02/2024",
        "2026-02-29",
        "2026-13-01",
        "2026-11-28T10:00:00Z",
        "28/11/2026",
        "abc",
        "20261128",
        "—",
    ]  # no real date: shown as given, never turned into another day

    # ---- tablero: the period stays ISO in its inputs; the charts say 28/11
    expect(page.locator("#chart-sales_by_day svg")).to_be_visible()
    for name in ("from", "to"):
        assert ISO_VALUE.match(page.locator(f"#filters input[name={name}]").input_value())
    _no_iso_text(page, "tablero")
    shot(page, screens, "hub-dates-tablero")

    # ---- cierres: the list, its detail and the run form
    _open(page, "/panel/cierres")
    row = page.locator(f"#closures tr[data-day='{s01_day.isoformat()}']")
    expect(row.locator("td").first).to_have_text(_dmy(s01_day))
    expect(row.locator("td").nth(2)).to_have_text("Pendiente de datos")  # not sealed: capitalized
    expect(page.locator(f"#closures tr[data-day='{s02_day.isoformat()}'] td").first).to_have_text(
        _dmy(s02_day)
    )
    row.locator("button").click()
    expect(page.locator("#closure-title")).to_have_text(
        f"Cierre S01 del {_dmy(s01_day)} · Pendiente de datos"
    )
    assert page.locator("#run-form input[name=date]").input_value() == s01_day.isoformat()
    _no_iso_text(page, "cierres")
    shot(page, screens, "hub-dates-cierres")

    # ---- catálogo: the scheduled price in the list and in the price history
    _open(page, "/panel/catalogo")
    page.fill("#svc-search input[name=q]", "HEM-001")
    page.locator("#svc-search button[type=submit]").click()
    svc = page.locator("#services tr[data-code=HEM-001]")
    expect(svc.locator("[data-price]")).to_contain_text(f"S/ 33.00 desde {_dmy(start)}")
    svc.locator("a[data-open]").click()
    first = page.locator("#price-history tbody tr").first
    expect(first.locator("td").first).to_have_text(_dmy(start))
    expect(first).to_have_attribute("data-from", start.isoformat())
    _no_iso_text(page, "catálogo")
    shot(page, screens, "hub-dates-catalogo")

    # ---- convenios: the list's "al", the account's facturas and payments; the form stays ISO
    _open(page, "/panel/convenios")
    expect(page.locator("#conv-summary")).to_contain_text(f"(al {_dmy(today)})")
    page.locator(f"#convenios tr[data-convenio='{CONV}'] button").click()
    expect(page.locator("#conv-terms")).to_contain_text(f"saldo al {_dmy(today)}")
    factura = page.locator("#conv-facturas tr[data-invoice='F001-1'] td")
    expect(factura.nth(2)).to_have_text(_dmy(billed))
    expect(page.locator("#conv-payments tbody tr").first.locator("td").first).to_have_text(
        _dmy(paid_on)
    )
    assert page.locator("#pay-form input[name=date]").input_value() == today.isoformat()
    _no_iso_text(page, "convenios")
    shot(page, screens, "hub-dates-convenios")

    # ---- auditoría: the days in the events' details
    _open(page, "/panel/auditoria")
    audit = page.locator("#audit tbody")
    expect(audit.locator("tr[data-action='reconciliation.execute']").first).to_contain_text(
        re.compile(rf"día: ({re.escape(_dmy(s01_day))}|{re.escape(_dmy(s02_day))})")
    )
    expect(audit.locator("tr[data-action='catalog.price_schedule']")).to_contain_text(
        f"vigente desde: {_dmy(start)}"
    )
    expect(audit.locator("tr[data-action='convenio.payment']")).to_contain_text(
        f"fecha: {_dmy(paid_on)}"
    )
    form = page.locator("#audit-filters")
    form.locator("input[name=from]").fill(s02_day.isoformat())
    form.locator("button[type=submit]").click()
    expect(audit.locator("tr[data-action='reconciliation.execute']")).to_have_count(2)
    assert form.locator("input[name=from]").input_value() == s02_day.isoformat()
    _no_iso_text(page, "auditoría")
    shot(page, screens, "hub-dates-auditoria")

    # ---- the other pages with dates
    _open(page, "/panel/alarmas")
    expect(page.locator("#alarm-summary")).to_contain_text(f"(al {_dmy(today)})")
    _no_iso_text(page, "alarmas")
    for path in ("/panel/notificaciones", "/panel/conflictos"):
        _open(page, path)
        _no_iso_text(page, path)
    assert page.js_errors == []
