"""/panel/convenios in headless Chromium over real HTTP: an admin opens SALUD PLUS, exports its
price list as CSV, fills it (HEM-001 with a decimal comma, BIO-010 emptied, a price above the
public one for a test without one, then a bad "12.345"), previews it — the refused row is listed
with its number and nothing can be applied — fixes it, previews again (changed, removed, added
and the warning listed apart), applies it and the hub's convenio holds the new list. A
supervisor sees the export buttons but not the import."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from central.convenios.models import Convenio
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.catalog_data import catalog_id_for
from tests.browser.conftest import HUB_ADMIN_PASSWORD, expect, shot, sign_in_hub

CONV = catalog_id_for("convenio", "CONV-SALUDPLUS")


def _open(page: Any, username: str) -> None:
    sign_in_hub(page, username, HUB_ADMIN_PASSWORD, to="/panel/convenios")
    page.click(f"#convenios tr[data-convenio='{CONV}'] button")
    expect(page.locator("#conv-title")).to_have_text("SALUD PLUS EPS S.A.")


def _filled(original: bytes, cells: dict[str, str]) -> tuple[bytes, str, dict[str, int]]:
    """The exported csv with the convenio price of some codes set; the first test without a
    convenio price gets its public price + S/ 5.00. Returns the file, that code, the rows."""
    rows = list(csv.reader(io.StringIO(original.decode("utf-8-sig"))))
    public, agreed = rows[0].index("Precio público (S/)"), rows[0].index("Precio convenio (S/)")
    extra = next(r[0] for r in rows[1:] if not r[agreed] and r[0] not in cells)
    numbers = {r[0]: i + 1 for i, r in enumerate(rows)}
    for r in rows[1:]:
        if r[0] in cells:
            r[agreed] = cells[r[0]]
        elif r[0] == extra:
            r[agreed] = f"{Decimal(r[public]) + 5:.2f}"
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)  # as Excel in es-PE may save it
    return out.getvalue().encode("utf-8"), extra, numbers


def _upload(page: Any, content: bytes) -> None:
    page.set_input_files(
        "#prices-form input[name=file]",
        files=[{"name": "tarifario-2027.csv", "mimeType": "text/csv", "buffer": content}],
    )
    page.click("#prices-preview")


def test_admin_exports_previews_and_imports_a_convenio_price_list(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    _open(page, "admin")
    with page.expect_download() as info:
        page.click("[data-prices-export=csv]")
    exported = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename.startswith("tarifario-20503123453-")
    assert exported.decode("utf-8-sig").startswith("Código,Nombre,Tipo,Precio público (S/)")
    expect(page.locator("#flash")).to_contain_text("Tarifario de SALUD PLUS EPS S.A. exportado")

    page.click("#prices-open")
    expect(page.locator("#prices")).to_be_visible()
    page.click("#prices-preview")  # no file yet: told beside the field
    expect(page.locator("#prices-form [data-error-for=content_base64]")).to_contain_text("Elija")

    bad, _, numbers = _filled(exported, {"HEM-001": "29,00", "BIO-010": "", "HEM-003": "12.345"})
    _upload(page, bad)
    errors = page.locator("#prices-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_have_attribute("data-row", str(numbers["HEM-003"]))
    expect(errors.first).to_contain_text("Precio convenio (S/)")
    expect(errors.first).to_contain_text("2 decimales")
    expect(page.locator("#prices-counts")).to_contain_text("1 fila(s) con errores")
    expect(page.locator("#prices-apply")).to_be_disabled()
    shot(page, screens, "hub-convenio-precios-errores")

    good, extra, numbers = _filled(exported, {"HEM-001": "29,00", "BIO-010": ""})
    _upload(page, good)
    expect(page.locator("#prices-errors")).to_be_hidden()
    changed = page.locator("#prices-changes tbody tr[data-code='HEM-001']")
    expect(changed).to_have_attribute("data-action", "changed")
    expect(changed).to_contain_text("S/ 30.00 → S/ 29.00")
    removed = page.locator("#prices-changes tbody tr[data-code='BIO-010']")
    expect(removed).to_contain_text("Se quita")
    added = page.locator(f"#prices-changes tbody tr[data-code='{extra}']")
    expect(added).to_have_attribute("data-action", "added")
    warnings = page.locator("#prices-warnings tbody tr")
    expect(warnings).to_have_count(1)
    expect(warnings.first).to_have_attribute("data-row", str(numbers[extra]))
    expect(warnings.first).to_contain_text("mayor que el precio público")
    expect(page.locator("#prices-counts")).to_contain_text(
        "1 precio(s) nuevo(s) · 1 cambiado(s) · 1 quitado(s)"
    )
    expect(page.locator("#prices-apply")).to_be_enabled()
    expect(page.locator("#prices-apply")).to_have_text("Aplicar 3 cambio(s)")
    shot(page, screens, "hub-convenio-precios-vista-previa")
    page.fill("#prices-form input[name=note]", "Renovación 2027")
    page.click("#prices-apply")
    expect(page.locator("#flash")).to_contain_text("Tarifario de SALUD PLUS EPS S.A. importado")
    expect(page.locator("#prices")).to_be_hidden()
    with unit_of_work(hub_runtime.engine) as s:
        conv = s.get(Convenio, CONV)
        assert conv is not None
        agreed = dict(conv.prices_cents)
    assert agreed[catalog_id_for("service", "HEM-001")] == 2900
    assert catalog_id_for("service", "BIO-010") not in agreed
    assert catalog_id_for("service", extra) in agreed
    assert page.js_errors == []


def test_a_supervisor_exports_but_has_no_import(hub_page: Any) -> None:
    page = hub_page
    _open(page, "supervisor.s01")
    expect(page.locator("[data-prices-export=xlsx]")).to_be_visible()
    expect(page.locator("#prices-open")).to_be_hidden()
    with page.expect_download() as info:
        page.click("[data-prices-export=xlsx]")
    assert info.value.suggested_filename.endswith(".xlsx")
    assert Path(info.value.path()).read_bytes().startswith(b"PK")
    assert page.js_errors == []
