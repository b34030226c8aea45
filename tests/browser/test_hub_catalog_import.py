"""/panel/catalogo in headless Chromium over real HTTP: an admin exports the catalog as CSV,
edits it (a new price with a decimal comma, a bad price "quince"), previews it — the refused row
is listed with its number and nothing can be applied — fixes it, previews again (the change
S/ 35.00 → S/ 41.90), applies it with a reason and the hub holds the new price in its history.
A supervisor sees the export buttons but not the import."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from central.catalog.models import CatalogPrice, CatalogService
from central.runtime import HubRuntime
from tests.browser.conftest import HUB_ADMIN_PASSWORD, expect, shot, sign_in_hub

CSV_MEDIA = "text/csv"


def _edited(original: bytes, changes: dict[str, str], extra: list[str] | None = None) -> bytes:
    """The exported csv with the "Precio (S/)" of some codes changed (and rows appended)."""
    rows = list(csv.reader(io.StringIO(original.decode("utf-8-sig"))))
    price = rows[0].index("Precio (S/)")
    for r in rows[1:]:
        if r[0] in changes:
            r[price] = changes[r[0]]
    if extra:
        rows.append(extra)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)  # as Excel in es-PE may save it
    return out.getvalue().encode("utf-8")


def _upload(page: Any, content: bytes) -> None:
    page.set_input_files(
        "#imp-form input[name=file]",
        files=[{"name": "tarifario-2027.csv", "mimeType": CSV_MEDIA, "buffer": content}],
    )
    page.click("#imp-preview")


def test_admin_exports_previews_and_imports_new_prices(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/catalogo")
    with page.expect_download() as info:
        page.click("#svc-search [data-export=csv]")
    exported = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename.startswith("catalogo-")
    assert exported.decode("utf-8-sig").startswith("Código,Nombre,Tipo,Categoría")
    expect(page.locator("#flash")).to_contain_text("Catálogo exportado")

    page.click("#imp-open")
    expect(page.locator("#imp")).to_be_visible()
    page.click("#imp-preview")  # no file yet: told beside the field
    expect(page.locator("#imp-form [data-error-for=content_base64]")).to_contain_text("Elija")

    bad_row = ["ZZZ-1", "Nuevo", "Examen", "HEM", "", "", "", "10", "24", "Sí", "quince"]
    _upload(page, _edited(exported, {"HEM-001": "41,90"}, bad_row))
    errors = page.locator("#imp-errors tbody tr")
    expect(errors).to_have_count(1)
    rows = exported.decode("utf-8-sig").count("\n") + 1  # the appended row's number
    expect(errors.first).to_have_attribute("data-row", str(rows))
    expect(errors.first).to_contain_text("Precio (S/)")
    expect(errors.first).to_contain_text("quince")
    expect(page.locator("#imp-counts")).to_contain_text("1 fila(s) con errores")
    expect(page.locator("#imp-apply")).to_be_disabled()
    shot(page, screens, "hub-catalogo-importar-errores")

    _upload(page, _edited(exported, {"HEM-001": "41,90"}))
    change = page.locator("#imp-changes tbody tr[data-code='HEM-001']")
    expect(change).to_contain_text("S/ 35.00 → S/ 41.90")
    expect(page.locator("#imp-errors")).to_be_hidden()
    expect(page.locator("#imp-counts")).to_contain_text("1 precio(s) cambiado(s)")
    expect(page.locator("#imp-apply")).to_be_enabled()
    shot(page, screens, "hub-catalogo-importar-vista-previa")
    page.click("#imp-apply")  # without a reason: refused beside the field
    expect(page.locator("#imp-form [data-error-for=reason]")).not_to_be_empty()
    page.fill("#imp-form input[name=reason]", "Tarifario 2027")
    page.click("#imp-apply")
    expect(page.locator("#flash")).to_contain_text("Catálogo importado: 1 precio(s) cambiado(s)")
    expect(page.locator("#imp")).to_be_hidden()
    with Session(hub_runtime.engine) as session:
        hem = session.exec(select(CatalogService).where(CatalogService.code == "HEM-001")).one()
        reasons = session.exec(
            select(CatalogPrice.reason).where(
                CatalogPrice.service_id == hem.id, CatalogPrice.price_cents == 4190
            )
        ).all()
    assert hem.price_cents == 4190 and list(reasons) == ["Tarifario 2027"]
    page.fill("#svc-search input[name=q]", "HEM-001")
    page.keyboard.press("Enter")
    expect(page.locator("#services tr[data-code='HEM-001'] [data-price]")).to_contain_text(
        "S/ 41.90"
    )
    assert page.js_errors == []


def test_a_supervisor_exports_but_has_no_import(hub_page: Any) -> None:
    page = hub_page
    sign_in_hub(page, "supervisor.s01", HUB_ADMIN_PASSWORD, to="/panel/catalogo")
    expect(page.locator("#svc-search [data-export=xlsx]")).to_be_visible()
    expect(page.locator("#imp-open")).to_be_hidden()
    with page.expect_download() as info:
        page.click("#svc-search [data-export=xlsx]")
    assert info.value.suggested_filename.endswith(".xlsx")
    assert Path(info.value.path()).read_bytes().startswith(b"PK")
    assert page.js_errors == []
