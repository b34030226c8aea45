"""/panel/catalogo in headless Chromium over real HTTP: an admin cancels one test's scheduled
price from the editor (answering "No" to the confirmation first) and then a whole list of
scheduled prices (the confirmation names how many); the hub then holds them cancelled and the
current prices untouched. A supervisor sees the pending lists without a button to cancel.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlmodel import Session, col, select

from central.catalog import prices
from central.catalog.models import CatalogPrice, CatalogService
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.clock import business_date
from domain.money import fmt_soles, from_cents
from tests.browser.conftest import HUB_ADMIN_PASSWORD, expect, sign_in_hub

CODES = ("HEM-001", "HEM-002", "BIO-010")


def _schedule(rt: HubRuntime) -> tuple[dt.date, dt.date, dict[str, int]]:
    """HEM-001 and HEM-002 +S/ 5 from a month ahead (a list of two), BIO-010 from two months."""
    today = business_date(rt.clock.now())
    first, second = today + dt.timedelta(days=30), today + dt.timedelta(days=60)
    before: dict[str, int] = {}
    with unit_of_work(rt.engine) as s:
        for code, when, reason in (
            ("HEM-001", first, "Tarifario 2027"),
            ("HEM-002", first, "Tarifario 2027"),
            ("BIO-010", second, "Ajuste"),
        ):
            svc = s.exec(select(CatalogService).where(CatalogService.code == code)).one()
            before[code] = svc.price_cents
            prices.change_price(
                session=s, clock=rt.clock, actor=None, service=svc,
                price_cents=svc.price_cents + 500, effective_from=when, reason=reason,
            )  # fmt: skip
    return first, second, before


def test_admin_cancels_a_scheduled_price_and_a_list(hub_page: Any, hub_runtime: HubRuntime) -> None:
    first, second, before = _schedule(hub_runtime)
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/catalogo")
    lists = page.locator("#scheduled tbody tr")
    expect(lists).to_have_count(2)
    jan = page.locator(f"#scheduled tr[data-scheduled='{first.isoformat()}']")
    expect(jan).to_contain_text("Tarifario 2027")
    expect(jan.locator("td").nth(1)).to_have_text("2")

    # one test: its editor shows the scheduled price; "No" keeps it, "Sí, cancelar" cancels it
    page.fill("#svc-search input[name=q]", "HEM-001")
    page.click("#svc-search button[type=submit]")
    page.locator("#services tr[data-code='HEM-001'] a[data-open]").click()
    box = page.locator("#svc-scheduled")
    price = fmt_soles(from_cents(before["HEM-001"] + 500))
    expect(box).to_contain_text(f"Precio programado: {price} desde {first:%d/%m/%Y}")
    box.locator("[data-cancel-scheduled]").click()
    expect(box.locator("[data-question]")).to_contain_text("El precio vigente")
    box.locator("[data-no]").click()
    box.locator("[data-cancel-scheduled]").click()
    box.locator("[data-yes]").click()
    expect(box).to_be_hidden()
    expect(page.locator("#flash")).to_contain_text("cancelado")
    expect(page.locator(f"#price-history tr[data-from='{first.isoformat()}']")).to_contain_text(
        "Cancelado"
    )
    expect(jan.locator("td").nth(1)).to_have_text("1")

    # the list: the confirmation names the count; the other date stays
    jan.locator("[data-cancel-list]").click()
    expect(jan.locator("[data-question]")).to_contain_text("1 precio programado")
    jan.locator("[data-yes]").click()
    expect(lists).to_have_count(1)
    expect(page.locator(f"#scheduled tr[data-scheduled='{second.isoformat()}']")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("cancelada")
    assert page.js_errors == []

    with Session(hub_runtime.engine) as s:
        rows = s.exec(
            select(
                col(CatalogPrice.effective_from),
                col(CatalogPrice.status),
                col(CatalogPrice.cancelled_by),
            )
            .join(CatalogService, col(CatalogService.id) == col(CatalogPrice.service_id))
            .where(col(CatalogService.code).in_(CODES), CatalogPrice.status != "applied")
        ).all()
        current = dict(
            s.exec(
                select(CatalogService.code, CatalogService.price_cents).where(
                    col(CatalogService.code).in_(CODES)
                )
            ).all()
        )
    assert sorted((w, st) for w, st, _ in rows) == [
        (first, "cancelled"),
        (first, "cancelled"),
        (second, "scheduled"),
    ]
    assert all(by for w, _, by in rows if w == first)  # who cancelled them
    assert current == before

    # a supervisor sees the pending list, with nothing to cancel it
    page.click("#logout")  # it posts the logout, then goes to the sign-in page: wait for it, or
    page.wait_for_url(re.compile(r"/panel/ingresar"))  # the next goto is aborted by that one
    sign_in_hub(page, "supervisor.s01", HUB_ADMIN_PASSWORD, to="/panel/catalogo")
    expect(page.locator(f"#scheduled tr[data-scheduled='{second.isoformat()}']")).to_contain_text(
        "Ajuste"
    )
    expect(page.locator("#scheduled button")).to_have_count(0)
    assert page.js_errors == []
