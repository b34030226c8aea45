"""The tablero's "Exportar" in headless Chromium over real HTTP: with a sede picked in the
filters, the exported workbook holds the tablero's figures of that sede only (and the PDF is a
PDF); a supervisor's export covers their sede even with "Todas" selected.
"""

from __future__ import annotations

from typing import Any

from domain.cash import METHOD_LABELS
from domain.ids import sede_id_for
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    sign_in_hub,
)


def _summary(path: str) -> tuple[str, dict[str, Any]]:
    from openpyxl import load_workbook

    with open(path, "rb") as fh:
        wb = load_workbook(fh)
    ws = wb["Resumen"]
    values = {str(r[0]): r[1] for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    # methods and documents are named in Spanish, not by their codes
    methods = [r[0] for r in wb["Medios de pago"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert methods and set(methods) <= set(METHOD_LABELS.values()), methods
    docs = [r[:2] for r in wb["Comprobantes"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert all(kind in ("Boleta", "Factura") and state[0].isupper() for kind, state in docs), docs
    return str(ws["A1"].value), values


def _export(page: Any, fmt: str) -> Any:
    with page.expect_download() as info:
        page.click(f"#filters button[data-export={fmt}]")
    return info.value


def test_the_tablero_exports_what_it_shows_with_the_current_filters(hub_page: Any) -> None:
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD)
    expect(page.locator("[data-kpi=sales] strong")).to_have_text("S/ 245.50")
    button = page.locator("#filters button[data-export=xlsx]")
    expect(button).to_be_visible()
    expect(button).to_contain_text("Exportar")
    expect(page.locator("#filters select[name=report] option:checked")).to_contain_text("Tablero")
    title, values = _summary(_export(page, "xlsx").path())
    assert title == "Tablero de la cadena"
    assert (values["Ventas"], values["Órdenes"]) == (245.5, 3)

    page.select_option("#filters select[name=sede]", sede_id_for("S02"))
    page.click("#filters button[type=submit]")
    expect(page.locator("[data-kpi=sales] strong")).to_have_text("S/ 120.00")
    download = _export(page, "xlsx")
    date_from = page.locator("#filters input[name=from]").input_value()
    date_to = page.locator("#filters input[name=to]").input_value()
    assert download.suggested_filename == f"dashboard-{date_from}-{date_to}.xlsx"
    title, values = _summary(download.path())
    assert title == "Tablero de la sede S02"
    assert (values["Ventas"], values["Órdenes"]) == (120, 1)
    with open(_export(page, "pdf").path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert page.js_errors == []


def test_a_supervisors_export_covers_their_sede(hub_page: Any) -> None:
    page = hub_page
    sign_in_hub(page, "supervisor.s01", HUB_ADMIN_PASSWORD)
    expect(page.locator("[data-kpi=sales] strong")).to_have_text("S/ 125.50")
    title, values = _summary(_export(page, "xlsx").path())
    assert title == "Tablero de la sede S01"
    assert (values["Ventas"], values["Órdenes"]) == (125.5, 2)
    assert page.js_errors == []
