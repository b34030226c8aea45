"""/panel/auditoria in headless Chromium over real HTTP: an admin pages through the hub's audit
trail, filters it by action, user (any case) and dates (an inverted range is refused beside
"Hasta"), and every recorded text shows as text. The nav offers the page only to roles with
audit.read; a receptionist who opens it anyway is told so and sees no event. A supervisor sees
only the events of their sede (never chain-wide ones), and the sede filter offers only it; an
admin filters by any sede.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from central.audit.models import HubAuditEvent
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.clock import business_date
from domain.ids import sede_id_for
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    ready,
    shot,
    sign_in_hub,
)

XSS = "<img src=x onerror=alert(1)>"


def _events(rt: HubRuntime, n: int) -> None:
    now = rt.clock.now()
    with unit_of_work(rt.engine) as session:
        for i in range(n):
            session.add(
                HubAuditEvent(
                    action="catalog.price_change", username="Gerente", user_id="u-gerente",
                    record_type="catalog_service", record_id=f"svc-{i:03d}", ip="10.0.0.9",
                    details={"reason": XSS if i == 0 else f"ajuste {i}"},
                    created_at=now - dt.timedelta(minutes=i + 1),
                )
            )  # fmt: skip


def test_admin_pages_and_filters_the_audit_trail(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    _events(hub_runtime, 60)
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD)
    page.click("nav a[href='/panel/auditoria']")
    page.wait_for_url(re.compile(r"/panel/auditoria$"))
    ready(page)
    with Session(hub_runtime.engine) as session:
        total = session.exec(select(func.count()).select_from(HubAuditEvent)).one()
    assert total > 60  # the seeded ones, the sign-in and those of the demo seed
    rows = page.locator("#audit tbody tr")
    pager = page.locator("#audit-pager")
    expect(rows).to_have_count(50)
    expect(pager.locator("[data-range]")).to_have_text(f"1–50 de {total}")
    expect(rows.first.locator("td").nth(3)).to_have_text("Inicio de sesión")  # newest first
    expect(rows.first.locator("td").nth(2)).to_have_text("admin")
    expect(rows.first.locator("td").nth(1)).to_have_text("Cadena")  # a chain-wide event
    pager.locator("[data-page=next]").click()
    expect(pager.locator("[data-range]")).to_have_text(f"51–{min(total, 100)} de {total}")

    form = page.locator("#audit-filters")
    form.locator("select[name=action]").select_option("catalog.price_change")
    expect(form.locator("select[name=action] option:checked")).to_have_text("Cambio de precio")
    form.locator("input[name=username]").fill("GERENTE")
    form.locator("button").click()
    expect(pager.locator("[data-range]")).to_have_text("1–50 de 60")
    first = rows.first
    expect(first.locator("td").nth(4)).to_have_text("Examen svc-000")
    expect(first.locator("td").nth(6)).to_have_text(f"motivo: {XSS}")  # text, not markup
    expect(first.locator("td").nth(5)).to_have_text("10.0.0.9")
    pager.locator("[data-page=next]").click()
    expect(rows).to_have_count(10)
    expect(pager.locator("[data-range]")).to_have_text("51–60 de 60")
    shot(page, screens, "hub-auditoria")

    form.locator("input[name=record_id]").fill("svc-007")
    form.locator("button").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ajuste 7")

    today = business_date(hub_runtime.clock.now())
    form.locator("input[name=record_id]").fill("")
    form.locator("input[name=from]").fill(today.isoformat())
    form.locator("input[name=to]").fill((today - dt.timedelta(days=1)).isoformat())
    form.locator("button").click()
    expect(form.locator("[data-error-for=to]")).to_contain_text("«hasta»")
    expect(form.locator("input[name=from]")).to_have_value(today.isoformat())  # kept
    form.locator("input[name=to]").fill("")
    form.locator("input[name=username]").fill("nadie")
    form.locator("button").click()
    expect(form.locator("[data-error-for=to]")).to_be_empty()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("Ningún evento coincide con los filtros.")
    assert page.js_errors == []


def test_the_nav_offers_the_audit_only_to_roles_that_may_read_it(hub_page: Any) -> None:
    page = hub_page
    sign_in_hub(page, "supervisor.s01", HUB_ADMIN_PASSWORD)
    expect(page.locator("nav a[href='/panel/auditoria']")).to_be_visible()  # audit.read
    page.click("#logout")
    page.wait_for_url(re.compile(r"/panel/ingresar"))
    sign_in_hub(page, "recepcion.s01", HUB_ADMIN_PASSWORD)
    expect(page.locator("nav a[href='/panel/catalogo']")).to_be_visible()
    expect(page.locator("nav a[href='/panel/auditoria']")).to_be_hidden()
    page.goto("/panel/auditoria")
    ready(page)
    # a clear "Sin acceso" page (session 7), not the audit's empty table with the API's 403
    expect(page.locator("#forbidden")).to_contain_text("no tiene acceso a la página «Auditoría»")
    expect(page.locator("#audit")).to_have_count(0)
    assert page.js_errors == []


def _sede_events(rt: HubRuntime) -> None:
    """3 events of S01, 2 of S02 (a reconciliation of each sede's day)."""
    now = rt.clock.now()
    with unit_of_work(rt.engine) as session:
        for i, code in enumerate(("S01", "S01", "S01", "S02", "S02")):
            session.add(
                HubAuditEvent(
                    action="reconciliation.reopen", username="supervisor.x",
                    record_type="reconciliation_closure", record_id=f"cierre-{code}-{i}",
                    sede_id=sede_id_for(code), details={"reason": f"revisión {code}"},
                    created_at=now - dt.timedelta(minutes=i + 1),
                )
            )  # fmt: skip


def _count(rt: HubRuntime, sede_id: str | None = None) -> int:
    with Session(rt.engine) as session:
        query = select(func.count()).select_from(HubAuditEvent)
        if sede_id:
            query = query.where(HubAuditEvent.sede_id == sede_id)
        return int(session.exec(query).one())


def test_a_supervisor_sees_only_the_events_of_their_sede(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    _sede_events(hub_runtime)
    s01 = sede_id_for("S01")
    page = hub_page
    sign_in_hub(page, "supervisor.s01", HUB_ADMIN_PASSWORD, to="/panel/auditoria")
    ready(page)
    rows = page.locator("#audit tbody tr[data-action]")
    mine = _count(hub_runtime, s01)
    assert mine >= 3 and _count(hub_runtime) > mine  # chain-wide and S02 events exist
    expect(rows).to_have_count(mine)
    for i in range(mine):
        expect(rows.nth(i).locator("td").nth(1)).to_have_text("S01")
    expect(page.locator("#audit tbody")).not_to_contain_text("revisión S02")
    expect(page.locator("#audit tbody")).not_to_contain_text("Inicio de sesión")  # chain-wide
    form = page.locator("#audit-filters")
    options = form.locator("select[name=sede_id] option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_text("Todas mis sedes")
    expect(options.nth(1)).to_have_text(re.compile(r"^S01 · "))
    # the action filter offers only what the supervisor may see
    expect(form.locator("select[name=action] option[value=login]")).to_have_count(0)
    expect(form.locator("select[name=action] option[value='reconciliation.reopen']")).to_have_count(
        1
    )
    form.locator("select[name=sede_id]").select_option(s01)
    form.locator("button").click()
    expect(rows).to_have_count(mine)
    shot(page, screens, "hub-auditoria-supervisor")
    assert page.js_errors == []


def test_an_admin_filters_the_audit_by_sede(hub_page: Any, hub_runtime: HubRuntime) -> None:
    _sede_events(hub_runtime)
    s02 = sede_id_for("S02")
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/auditoria")
    ready(page)
    form = page.locator("#audit-filters")
    options = form.locator("select[name=sede_id] option")
    expect(options).to_have_count(3)  # Todas, S01, S02
    expect(options.first).to_have_text("Todas")
    form.locator("select[name=sede_id]").select_option(s02)
    form.locator("button").click()
    rows = page.locator("#audit tbody tr[data-action]")
    expect(rows).to_have_count(_count(hub_runtime, s02))
    expect(rows.first.locator("td").nth(1)).to_have_text("S02")
    expect(page.locator("#audit tbody")).to_contain_text("revisión S02")
    expect(page.locator("#audit tbody")).not_to_contain_text("revisión S01")
    assert page.js_errors == []
