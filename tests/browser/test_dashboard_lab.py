"""The hub dashboard's laboratory systems page in headless Chromium over real HTTP.

An admin registers a laboratory system (a bad code is refused beside its field, what was typed
stays), edits it (tokens are write-only: the table only says one is set), fills its code map
from the unmapped-tests check (a row without any code is refused beside that row's field),
sees the check come out complete, and assigns the laboratory to a sede. Names that are markup
render as text (a script dialog would fail the test).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from domain import catalog_data
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    ready,
    shot,
    sign_in_hub,
)

XSS = "<img src=x onerror=alert(1)>"
ACTIVE_TESTS = len(catalog_data.TESTS)


def test_admin_registers_a_lab_maps_its_codes_and_assigns_it_to_a_sede(
    hub_page: Any, screens: Path
) -> None:
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD)
    page.click("nav a[href='/panel/laboratorios']")
    page.wait_for_url(re.compile(r"/panel/laboratorios$"))
    ready(page)
    expect(page.locator("#labs tbody")).to_contain_text("No hay sistemas de laboratorio")
    expect(page.locator("#lab-sedes tr[data-sede=S01]")).to_contain_text("Ninguno")

    # ---- create: a bad code is refused beside its field; the rest stays typed
    page.keyboard.press("Alt+n")
    form = page.locator("#lab-form")
    expect(form).to_be_visible()
    form.locator("input[name=code]").fill("1-lab")
    form.locator("input[name=name]").fill(f"Laboratorio {XSS}")
    form.locator("select[name=protocol]").select_option("mllp")
    expect(form.locator("input[name=url]")).to_be_hidden()  # REST only
    form.locator("input[name=host]").fill("10.0.0.20")
    form.locator("input[name=port]").fill("2575")
    form.locator("input[name=results_token]").fill("secreto-del-lab")
    form.locator("input[name=port]").press("Control+Enter")
    expect(form.locator("[data-error-for=code]")).to_contain_text("no es válido")
    expect(form.locator("[data-error-for=host]")).to_have_text("")
    expect(form.locator("input[name=name]")).to_have_value(f"Laboratorio {XSS}")
    expect(form.locator("input[name=host]")).to_have_value("10.0.0.20")
    shot(page, screens, "30-laboratorio-error")
    form.locator("input[name=code]").fill("labcentral")
    form.locator("input[name=code]").press("Control+Enter")
    expect(page.locator("#flash")).to_contain_text("LABCENTRAL guardado")
    row = page.locator("#labs tr[data-lab=LABCENTRAL]")
    expect(row).to_contain_text(f"Laboratorio {XSS}")
    expect(row).to_contain_text("10.0.0.20:2575")
    expect(row).to_contain_text("resultados")  # a token is set; it is never shown
    assert "secreto-del-lab" not in page.content()

    # ---- edit: MLLP needs a port; then a new one is kept
    row.get_by_role("button", name="Editar").click()
    expect(form.locator("input[name=code]")).to_be_hidden()
    expect(form.locator("input[name=results_token]")).to_have_value("")
    expect(form).to_contain_text("Hay un token guardado")
    form.locator("input[name=port]").fill("")
    form.locator("input[name=port]").press("Control+Enter")
    expect(form.locator("[data-error-for=port]")).to_contain_text("puerto")
    form.locator("input[name=port]").fill("2576")
    form.locator("input[name=port]").press("Control+Enter")
    expect(row).to_contain_text("10.0.0.20:2576")
    expect(row).to_contain_text("resultados")  # left empty: the token was kept

    # ---- code map from the check: every active test is missing at first
    row.get_by_role("button", name="Códigos").click()
    codes = page.locator("#codes-editor")
    expect(codes).to_be_visible()
    codes.locator("#codes-check").click()
    expect(codes.locator("#codes-check-summary")).to_contain_text(
        f"0 de {ACTIVE_TESTS} exámenes activos tienen código"
    )
    expect(codes.locator("#codes-unmapped li")).to_have_count(ACTIVE_TESTS)
    codes.locator("#codes-add-unmapped").click()
    rows = codes.locator("#codes tbody tr")
    expect(rows).to_have_count(ACTIVE_TESTS)
    for i in range(1, ACTIVE_TESTS):  # the first row is left without any code
        rows.nth(i).locator("input[name=code]").fill(f"T{i:02d}")
    rows.nth(1).locator("input[name=loinc]").fill("1558-6")
    page.keyboard.press("Control+Enter")
    expect(rows.nth(0).locator("[data-row-error=code]")).to_contain_text("Indique el código")
    expect(rows.nth(1).locator("[data-row-error=code]")).to_have_text("")
    expect(rows.nth(1).locator("input[name=code]")).to_have_value("T01")  # nothing lost
    shot(page, screens, "31-laboratorio-codigos-error")
    rows.nth(0).locator("input[name=loinc]").fill("718-7")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#flash")).to_contain_text(f"{ACTIVE_TESTS} examen(es) con código")
    expect(codes.locator("#codes-check-summary")).to_contain_text(
        f"Completo: los {ACTIVE_TESTS} exámenes activos tienen código"
    )
    first = catalog_data.TESTS[0]
    expect(codes.locator("#codes tbody")).to_contain_text(str(first["name"]))

    # ---- assign it to S01
    s01 = page.locator("#lab-sedes tr[data-sede=S01]")
    s01.locator("select[name=lab_system_id]").select_option(label=f"LABCENTRAL · Laboratorio {XSS}")
    s01.locator("input[name=listener_port]").fill("2600")
    s01.locator("input[name=listener_port]").press("Enter")
    expect(page.locator("#flash")).to_contain_text("Sede S01: envía a LABCENTRAL")
    expect(row).to_contain_text("S01")
    expect(page.locator("#lab-sedes tr[data-sede=S01] input[name=listener_port]")).to_have_value(
        "2600"
    )
    shot(page, screens, "32-laboratorios")
    assert not page.js_errors, page.js_errors
