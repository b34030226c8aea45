"""The hub's convenio page in headless Chromium against a real hub process (``labred hub serve``)
on the test's PostgreSQL database.

An admin sees SALUD PLUS's balance (an overdue factura at S01 and an order not invoiced yet at
S02), opens its account, is refused an overpayment of the factura with the Spanish message next
to the amount (what was typed stays), records a payment and sees the balance drop, and
downloads the month's statement as xlsx and PDF. A supervisor sees the page without the payment
form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from central.convenios.models import Convenio
from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain.catalog_data import catalog_id_for
from domain.clock import business_date
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    new_tab,
    shot,
    sign_in_hub,
)
from tests.central.auth.factories import make_user
from tests.central.reconciliation.builders import SedeDay, push_rows
from tests.procs import free_port, running

CONV = catalog_id_for("convenio", "CONV-SALUDPLUS")  # SALUD PLUS EPS S.A., 30 días de crédito
RUC = "20503123453"
SUP_PASSWORD = "clave-supervisora-1"
XSS = "<img src=x onerror=alert(1)>"
XSS_CONV = new_id()


def _account(rt: HubRuntime) -> dt.date:
    """S01: an order 70 days ago (covered 80.00) billed in F001-1 60 days ago (due 30 days ago);
    S02: an order 20 days ago (covered 24.00) not invoiced. Balance 104.00, overdue 80.00."""
    today = business_date(rt.clock.now())
    old = SedeDay(rt.engine, "S01", today - dt.timedelta(days=70))
    order = old.order("100.00", covered="80.00", convenio_id=CONV)
    old.push_day(seal=False)
    recent = SedeDay(rt.engine, "S02", today - dt.timedelta(days=20))
    recent.order("30.00", covered="24.00", convenio_id=CONV)
    recent.push_day(seal=False)
    billed = SedeDay(rt.engine, "S01", today - dt.timedelta(days=60))
    inv = billed.invoice(None, doc_type="01", series="F001", number=1, total=8000)
    inv |= {"customer_doc_type": "6", "customer_doc_number": RUC, "void_requested": False}
    link = {
        "id": new_id(), "sede_id": billed.sede_id, "convenio_id": CONV, "invoice_id": inv["id"],
        "order_id": order["id"], "order_number": order["number"],
        "month": order["business_date"][:7], "amount": 8000,
        "business_date": billed.day.isoformat(), "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "credit_note_id": None,
    }  # fmt: skip
    push_rows(rt.engine, [("invoice", inv), ("convenio_invoice_order", link)], node_id="node-S01")
    with hub_uow(rt.engine) as session:  # a name that is markup must render as text
        session.add(Convenio(id=XSS_CONV, ruc="20100070970", name=XSS, credit_days=15))
    return today


@pytest.fixture
def hub_process(hub_runtime: HubRuntime, tmp_path: Path) -> Iterator[str]:
    """``labred hub serve`` as its own process on this test's (migrated, seeded) database."""
    with hub_uow(hub_runtime.engine) as session:
        seed_demo(session, clock=hub_runtime.clock, sedes=2, admin_password=HUB_ADMIN_PASSWORD)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "LABRED_HUB_DATABASE_URL": hub_runtime.settings.database_url or "",
        "LABRED_HUB_RATE_LIMIT_PER_MINUTE": "100000",
    }
    data = tmp_path / "hub-proc"
    with running(
        "hub", "serve", "--data-dir", str(data), "--port", str(port),
        ready_url=f"{url}/ready", log=tmp_path / "hub.log", env=env,
    ):  # fmt: skip
        yield url


@pytest.fixture
def hub_tab(browser: Any, hub_process: str) -> Iterator[Any]:
    pg = new_tab(browser, hub_process, timeout_ms=15_000, accept_downloads=True)
    yield pg
    pg.context.close()


def test_admin_sees_balance_is_refused_an_overpayment_and_records_a_payment(
    hub_tab: Any, hub_runtime: HubRuntime, screens: Path, tmp_path: Path
) -> None:
    page = hub_tab
    today = _account(hub_runtime)
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/convenios")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Convenios")
    expect(page.locator("nav a[href='/panel/laboratorios']")).to_be_visible()  # all of them
    row = page.locator(f"#convenios tr[data-convenio='{CONV}']")
    expect(row).to_contain_text("SALUD PLUS EPS S.A.")
    expect(row.locator("[data-field=balance]")).to_have_text("S/ 104.00")
    expect(row.locator("[data-field=covered]")).to_have_text("S/ 104.00")
    expect(row.locator("[data-field=overdue]")).to_have_text("S/ 80.00")
    expect(row.locator("[data-field=overdue_days]")).to_have_text("30 d")
    expect(row.locator("[data-field=paid]")).to_have_text("S/ 0.00")
    expect(page.locator(f"#convenios tr[data-convenio='{XSS_CONV}'] td").first).to_have_text(XSS)

    # select it: per sede, facturas, chart
    row.locator("button").click()
    detail = page.locator("#conv-detail")
    expect(detail).to_be_visible()
    expect(page.locator("#conv-title")).to_have_text("SALUD PLUS EPS S.A.")
    expect(page.locator("#conv-sedes tr[data-sede=S01] [data-field=balance]")).to_have_text(
        "S/ 80.00"
    )
    expect(page.locator("#conv-sedes tr[data-sede=S02] [data-field=balance]")).to_have_text(
        "S/ 24.00"
    )
    factura = page.locator("#conv-facturas tr[data-invoice='F001-1']")
    expect(factura).to_contain_text("Vencida (30 d)")
    expect(factura.locator("[data-field=outstanding]")).to_have_text("S/ 80.00")
    expect(page.locator("#chart-conv-sedes svg rect.bar")).to_have_count(2)
    expect(
        page.locator("#chart-conv-aging svg rect.bar[data-label='Vencido 1–30 días']")
    ).to_have_count(1)
    expect(page.locator("#pay-section")).to_be_visible()
    shot(page, screens, "hub-30-convenio")

    # an overpayment of the factura: Spanish message beside the amount, nothing recorded
    form = page.locator("#pay-form")
    form.locator("input[name=amount]").fill("1000.00")
    form.locator("select[name=invoice]").select_option("F001-1")
    form.locator("input[name=reference]").fill("OP 000123456 BCP")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-error-for=amount]")).to_have_text(
        "El pago de S/ 1,000.00 excede el saldo de la factura F001-1 (S/ 80.00)."
    )
    expect(form.locator("input[name=amount]")).to_have_value("1000.00")
    expect(form.locator("select[name=invoice]")).to_have_value("F001-1")
    expect(page.locator("#conv-payments tbody")).to_contain_text("Sin pagos registrados")
    shot(page, screens, "hub-31-convenio-sobrepago")

    # a bad amount is refused too (money is text, never a float)
    form.locator("input[name=amount]").fill("12,5")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-error-for=amount]")).to_contain_text("no es un monto válido")

    # a real payment: the balance drops everywhere
    form.locator("input[name=amount]").fill("50.00")
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_have_text("Pago registrado: S/ 50.00 a la factura F001-1.")
    expect(row.locator("[data-field=balance]")).to_have_text("S/ 54.00")
    expect(row.locator("[data-field=paid]")).to_have_text("S/ 50.00")
    expect(row.locator("[data-field=overdue]")).to_have_text("S/ 30.00")
    expect(page.locator("[data-kpi=balance] strong")).to_have_text("S/ 54.00")
    expect(factura.locator("[data-field=outstanding]")).to_have_text("S/ 30.00")
    expect(factura).to_contain_text("OP 000123456 BCP · S/ 50.00")
    expect(page.locator("#conv-payments tbody tr[data-payment]")).to_have_count(1)
    expect(form.locator("[data-error-for=amount]")).to_be_empty()

    # the statement of the factura's month, as xlsx and PDF
    month = (today - dt.timedelta(days=60)).strftime("%Y-%m")
    page.locator("#statement-form input[name=month]").fill(month)
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        with page.expect_download() as info:
            page.click(f"#statement-form [data-statement={fmt}]")
        download = info.value
        assert download.suggested_filename == f"estado-cuenta-{RUC}-{month}.{fmt}"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.read_bytes().startswith(magic)
    shot(page, screens, "hub-32-convenio-pagado")
    assert page.js_errors == []


def test_supervisor_sees_their_sede_without_the_payment_form(
    hub_tab: Any, hub_runtime: HubRuntime
) -> None:
    page = hub_tab
    _account(hub_runtime)
    make_user(
        hub_runtime, Role.SUPERVISOR, username="sup.s02", sede_ids=[sede_id_for("S02")],
        password=SUP_PASSWORD,
    )  # fmt: skip
    sign_in_hub(page, "sup.s02", SUP_PASSWORD, to="/panel/convenios")
    # the nav offers the pages whose data a supervisor may see, not the admin's others
    expect(page.locator("nav a[href='/panel/convenios']")).to_be_visible()
    expect(page.locator("nav a[href='/panel/laboratorios']")).to_be_hidden()
    expect(page.locator("nav a[href='/panel/conflictos']")).to_be_hidden()
    row = page.locator(f"#convenios tr[data-convenio='{CONV}']")
    expect(row.locator("[data-field=balance]")).to_have_text("S/ 24.00")
    expect(row.locator("[data-field=overdue_days]")).to_have_text("—")
    row.locator("button").click()
    expect(page.locator("#conv-detail")).to_be_visible()
    expect(page.locator("#conv-sedes tbody tr[data-sede]")).to_have_count(1)
    expect(page.locator("#conv-sedes tr[data-sede=S02]")).to_be_visible()
    expect(page.locator("#conv-facturas tbody")).to_contain_text("no tiene facturas")
    expect(page.locator("#pay-section")).to_be_hidden()
    assert page.js_errors == []
