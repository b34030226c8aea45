"""/panel/cierres in headless Chromium over real HTTP: an admin reconciles a sede's day by hand
(a missing or future date is refused beside the field), reads the closure, downloads it as a
workbook (what the file holds is checked) and filters the list by sede and dates. A supervisor
filters and downloads but is not offered the manual run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from central.reconciliation.models import Closure
from central.runtime import HubRuntime
from domain.clock import business_date
from domain.ids import sede_id_for
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    shot,
    sign_in_hub,
)


def _workbook_title(path: str) -> tuple[list[str], str]:
    from openpyxl import load_workbook

    with open(path, "rb") as fh:
        wb = load_workbook(fh)
    return wb.sheetnames, str(wb.worksheets[0]["A1"].value)


def test_admin_runs_a_reconciliation_downloads_it_and_filters(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    today = business_date(hub_runtime.clock.now())
    s01_day, s02_day = today - dt.timedelta(days=1), today - dt.timedelta(days=2)
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/cierres")
    run = page.locator("#run-form")
    expect(page.locator("#run-section")).to_be_visible()
    expect(run.locator("input[name=date]")).to_have_value(s01_day.isoformat())  # yesterday

    # ---- refused at the field: no date, then a day that has not begun
    run.locator("input[name=date]").fill("")
    run.locator("button").click()
    expect(run.locator("[data-error-for=date]")).not_to_be_empty()
    run.locator("input[name=date]").fill((today + dt.timedelta(days=3)).isoformat())
    run.locator("button").click()
    expect(run.locator("[data-error-for=date]")).to_contain_text("No se puede conciliar")
    with Session(hub_runtime.engine) as session:
        assert session.exec(select(Closure)).all() == []

    # ---- S01 yesterday, then S02 two days ago
    run.locator("select[name=sede_id]").select_option(sede_id_for("S01"))
    run.locator("input[name=date]").fill(s01_day.isoformat())
    run.locator("button").click()
    expect(page.locator("#flash")).to_contain_text(f"S01 del {s01_day:%d/%m/%Y}")
    expect(run.locator("[data-error-for=date]")).to_be_empty()
    expect(page.locator("#closure-title")).to_contain_text(f"Cierre S01 del {s01_day:%d/%m/%Y} · ")
    rows = page.locator("#closures tbody tr")
    expect(rows).to_have_count(1)
    run.locator("select[name=sede_id]").select_option(sede_id_for("S02"))
    run.locator("input[name=date]").fill(s02_day.isoformat())
    run.locator("button").click()
    expect(page.locator("#closure-title")).to_contain_text(f"Cierre S02 del {s02_day:%d/%m/%Y} · ")
    expect(rows).to_have_count(2)
    with Session(hub_runtime.engine) as session:
        held = {(c.sede_id, c.business_date, c.executed_by) for c in session.exec(select(Closure))}
    assert {(s, d) for s, d, _ in held} == {
        (sede_id_for("S01"), s01_day), (sede_id_for("S02"), s02_day),
    }  # fmt: skip
    assert {by for _, _, by in held} == {"admin"}
    shot(page, screens, "hub-cierres-conciliar")

    # ---- the closure as a workbook
    page.locator(f"#closures tr[data-day='{s01_day.isoformat()}'] button").click()
    expect(page.locator("#closure-title")).to_contain_text("S01")
    with page.expect_download() as info:
        page.click("#closure-export button[data-format=xlsx]")
    download = info.value
    assert download.suggested_filename == f"cierre-S01-{s01_day.isoformat()}.xlsx"
    sheets, title = _workbook_title(download.path())
    assert sheets[:3] == ["Cifras", "Medios de pago", "Discrepancias"]
    assert title == f"Cierre S01 del {s01_day:%d/%m/%Y}"
    with page.expect_download() as info:
        page.click("#closure-export button[data-format=pdf]")
    with open(info.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    # ---- filters: by sede, then by dates
    filters = page.locator("#closure-filters")
    filters.locator("select[name=sede]").select_option(sede_id_for("S02"))
    filters.locator("button").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("S02")
    filters.locator("select[name=sede]").select_option("")
    filters.locator("input[name=from]").fill(s01_day.isoformat())
    filters.locator("button").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("S01")
    filters.locator("input[name=from]").fill(today.isoformat())
    filters.locator("button").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ningún cierre coincide")
    assert page.js_errors == []


def test_a_supervisor_filters_and_downloads_but_cannot_run(
    hub_page: Any, hub_runtime: HubRuntime
) -> None:
    from central.db import unit_of_work
    from central.reconciliation import service

    day = business_date(hub_runtime.clock.now()) - dt.timedelta(days=1)
    with unit_of_work(hub_runtime.engine) as session:
        service.execute(session=session, clock=hub_runtime.clock, day=day)
    page = hub_page
    sign_in_hub(page, "supervisor.s01", HUB_ADMIN_PASSWORD, to="/panel/cierres")
    expect(page.locator("#run-section")).to_be_hidden()
    rows = page.locator("#closures tbody tr")
    expect(rows).to_have_count(1)  # their sede only
    expect(page.locator("#closure-filters select[name=sede] option")).to_have_count(2)
    rows.first.locator("button").click()
    with page.expect_download() as info:
        page.click("#closure-export button[data-format=xlsx]")
    assert info.value.suggested_filename == f"cierre-S01-{day.isoformat()}.xlsx"
    assert page.js_errors == []
