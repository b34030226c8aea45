"""The hub's Parámetros page edits the results delivery hours as a line of days
("lun 07:00-19:00, …, dom cerrado"): a bad range is refused beside the field in Spanish, a good
one is saved (stored as the object the edges read) and shown in the history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from central.config.models import Setting
from central.runtime import HubRuntime
from tests.browser.conftest import HUB_ADMIN_PASSWORD, expect, shot, sign_in_hub
from tests.browser.test_dashboard_admin import go

DEFAULT_LINE = (
    "lun 07:00-19:00, mar 07:00-19:00, mié 07:00-19:00, jue 07:00-19:00, vie 07:00-19:00, "
    "sáb 07:00-13:00, dom cerrado"
)


def test_admin_edits_the_delivery_hours(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD)
    go(page, "parametros")
    sets = page.locator("#settings-form")
    box = sets.locator("input[name=results_delivery_hours]")
    expect(box).to_have_value(DEFAULT_LINE)
    box.fill(DEFAULT_LINE.replace("sáb 07:00-13:00", "sáb 13:00-07:00"))
    sets.locator("button[type=submit]").click()
    expect(sets.locator("[data-error-for=results_delivery_hours]")).to_contain_text(
        "sábado: la apertura (13:00) debe ser anterior al cierre (07:00)"
    )
    # typed without accents, in any case, a day closed
    box.fill(DEFAULT_LINE.replace("sáb 07:00-13:00", "SAB 08:00-14:00").replace("mié", "mie"))
    sets.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("Parámetros guardados")
    saved = DEFAULT_LINE.replace("sáb 07:00-13:00", "sáb 08:00-14:00")
    expect(box).to_have_value(saved)
    row = page.locator("#settings-history tr[data-field=results_delivery_hours]")
    expect(row).to_contain_text("sáb 08:00-14:00")
    expect(row).to_contain_text("Entrega de resultados")
    shot(page, screens, "hub-parametros-entrega")
    with Session(hub_runtime.engine) as session:
        stored = session.exec(select(Setting).where(Setting.key == "results_delivery_hours")).one()
    assert stored.value["sat"] == "08:00-14:00" and stored.value["sun"] == ""
    assert page.js_errors == []
