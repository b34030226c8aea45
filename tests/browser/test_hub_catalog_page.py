"""/panel/catalogo in headless Chromium over real HTTP: an admin adds a category, creates a test
(a wrong price is refused next to its field, keeping what was typed), edits it with a new
price and reads its price history, builds a panel of tests, deactivates the test and filters
the list; the hub then holds exactly that. An admin renames a category (a name already taken
is refused beside it), is told beside its state that a category with active tests cannot be
deactivated, and deactivates and reactivates an empty one. A supervisor reads the list, the
categories and the history only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from central.catalog.models import CatalogCategory, CatalogPrice, CatalogService
from central.runtime import HubRuntime
from domain import catalog_data
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    shot,
    sign_in_hub,
)

XSS = "<img src=x onerror=alert(1)>"
SLOW_EXAMS = """() => {
  const real = window.fetch;
  window.fetch = async (url, options) => {
    const exams = String(url).includes("is_panel=false&active=true");
    if (exams) await new Promise((r) => setTimeout(r, 600));
    return real(url, options);
  };
}"""


def _service(rt: HubRuntime, code: str) -> CatalogService:
    with Session(rt.engine) as session:
        row = session.exec(select(CatalogService).where(CatalogService.code == code)).one()
        session.expunge(row)
        return row


def test_admin_creates_edits_prices_groups_and_deactivates_a_test(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/catalogo")

    # ---- a category: the missing name is refused beside it, then it is added
    cat = page.locator("#cat-form")
    cat.locator("input[name=code]").fill("gen")
    cat.locator("button").click()
    expect(cat.locator("[data-error-for=name]")).not_to_be_empty()
    expect(cat.locator("input[name=code]")).to_have_value("gen")
    cat.locator("input[name=name]").fill("Genética")
    cat.locator("button").click()
    expect(page.locator("#categories tr[data-category=GEN] input[name=name]")).to_have_value(
        "Genética"
    )
    expect(page.locator("#flash")).to_contain_text("Categoría GEN")

    # ---- a new test: a wrong price and a bad LOINC are shown next to their fields. The list of
    # tests a panel may hold arrives slowly here: the editor shows once it has, so nothing typed
    # is pulled into another field by a late focus (it was, now and then, on a loaded machine)
    page.evaluate(SLOW_EXAMS)
    page.click("#svc-new")
    form = page.locator("#svc-form")
    expect(form.locator("input[name=code]")).to_be_visible()
    form.locator("input[name=code]").fill("GEN-050")
    form.locator("input[name=name]").fill(f"Ácido úrico {XSS}")
    form.locator("select[name=category_id]").select_option(label="GEN · Genética")
    form.locator("input[name=sample_type]").press_sequentially("Suero", delay=150)  # a person types
    form.locator("input[name=tube]").fill("Rojo (sin aditivo)")
    form.locator("input[name=loinc]").fill("abc")
    form.locator("input[name=price]").fill("quince")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-error-for=price]")).not_to_be_empty()
    expect(form.locator("[data-error-for=loinc]")).not_to_be_empty()
    expect(form.locator("[data-error-for=name]")).to_be_empty()
    expect(form.locator("input[name=code]")).to_have_value("GEN-050")  # kept after the error
    form.locator("input[name=loinc]").fill("3084-1")
    form.locator("input[name=price]").fill("15,00")  # a comma works as the decimal mark
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("GEN-050")
    expect(page.locator("#flash")).to_contain_text("S/ 15.00")
    svc = _service(hub_runtime, "GEN-050")
    assert (svc.price_cents, svc.sample_type, svc.loinc) == (1500, "Suero", "3084-1")
    assert svc.tube == "Rojo (sin aditivo)"
    with Session(hub_runtime.engine) as session:
        gen = session.exec(select(CatalogCategory).where(CatalogCategory.code == "GEN")).one()
    assert svc.category_id == gen.id

    # ---- the editor is now on it, with its history; a new price with its reason
    expect(page.locator("#svc-editor-title")).to_contain_text("Editar GEN-050")
    history = page.locator("#price-history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Precio inicial")
    form.locator("input[name=name]").fill("Ácido úrico sérico")
    form.locator("input[name=tube]").fill("Amarillo (gel)")
    form.locator("input[name=price]").fill("18.00")
    form.locator("input[name=price_reason]").fill("Nuevo tarifario 2027")
    form.locator("button[type=submit]").click()
    expect(history).to_have_count(2)
    expect(history.first.locator("td").nth(1)).to_have_text("S/ 18.00")
    expect(history.first.locator("td").nth(2)).to_have_text("S/ 15.00")
    expect(history.first.locator("td").nth(3)).to_have_text("Aplicado")
    expect(history.first).to_contain_text("Nuevo tarifario 2027")
    expect(history.first).to_contain_text("admin")
    svc = _service(hub_runtime, "GEN-050")
    assert (svc.name, svc.tube, svc.price_cents) == ("Ácido úrico sérico", "Amarillo (gel)", 1800)
    with Session(hub_runtime.engine) as session:
        reasons = session.exec(
            select(CatalogPrice.reason).where(CatalogPrice.service_id == svc.id)
        ).all()
    assert sorted(reasons) == ["Nuevo tarifario 2027", "Precio inicial"]
    page.fill("#svc-search input[name=q]", "GEN-050")
    page.keyboard.press("Enter")
    row = page.locator("#services tr[data-code='GEN-050']")
    expect(page.locator("#services tbody tr")).to_have_count(1)
    expect(row.locator("[data-price]")).to_have_text("S/ 18.00")
    expect(row.locator("td").nth(2)).to_have_text("Genética")
    shot(page, screens, "hub-catalogo-editor")

    # ---- a panel: without tests it is refused at the list; with one it is saved
    page.click("#svc-new")
    form.locator("input[name=code]").fill("PAN-GEN")
    form.locator("input[name=name]").fill("Perfil úrico")
    form.locator("input[name=price]").fill("30.00")
    form.locator("input[name=is_panel]").check()
    expect(page.locator("#svc-members-box")).to_be_visible()
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-error-for=panel_service_ids]")).to_contain_text("al menos un examen")
    page.fill("#svc-members-filter", "GEN-050")
    member = page.locator("#svc-members [data-member='GEN-050']")
    expect(member).to_be_visible()
    expect(page.locator("#svc-members label:visible")).to_have_count(1)
    member.locator("input").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("PAN-GEN")
    panel = _service(hub_runtime, "PAN-GEN")
    assert panel.is_panel and list(panel.panel_service_ids) == [svc.id]

    # ---- deactivating the test: the list says so and the hub holds it inactive
    page.fill("#svc-search input[name=q]", "GEN-050")
    page.keyboard.press("Enter")
    expect(page.locator("#services tbody tr")).to_have_count(1)
    page.locator("#services tr[data-code='GEN-050'] a[data-open]").click()
    expect(page.locator("#svc-editor-title")).to_contain_text("Editar GEN-050")
    page.click("#svc-deactivate")
    expect(page.locator("#flash")).to_contain_text("desactivado")
    expect(page.locator("#services tr[data-code='GEN-050'] td").nth(3)).to_have_text("Inactivo")
    assert _service(hub_runtime, "GEN-050").active is False
    page.fill("#svc-search input[name=q]", "")
    page.select_option("#svc-search select[name=active]", "false")
    page.click("#svc-search button[type=submit]")
    expect(page.locator("#services tbody tr")).to_have_count(1)
    expect(page.locator("#services tbody tr").first).to_have_attribute("data-code", "GEN-050")
    page.select_option("#svc-search select[name=active]", "")
    page.select_option("#svc-search select[name=is_panel]", "true")
    page.click("#svc-search button[type=submit]")
    expect(page.locator("#services tbody tr[data-code='PAN-GEN']")).to_have_count(1)
    expect(page.locator("#services tbody tr[data-code='GEN-050']")).to_have_count(0)
    assert page.js_errors == []


def test_a_supervisor_reads_the_catalog_and_a_price_history_only(
    hub_page: Any, hub_runtime: HubRuntime
) -> None:
    page = hub_page
    sign_in_hub(page, "supervisor.s01", HUB_ADMIN_PASSWORD, to="/panel/catalogo")
    expect(page.locator("#svc-new")).to_be_hidden()
    expect(page.locator("#cat-form")).to_be_hidden()
    expect(page.locator("#categories tr[data-category=HEM]")).to_contain_text("Hematología")
    expect(page.locator("#categories input, #categories button")).to_have_count(0)
    expect(page.locator("#services input")).to_have_count(0)
    first = page.locator("#services tbody tr").first
    code = first.get_attribute("data-code")
    first.locator("a[data-open]").click()
    expect(page.locator("#svc-history")).to_be_visible()
    expect(page.locator("#svc-history-title")).to_contain_text(str(code))
    expect(page.locator("#price-history tbody tr").first).to_contain_text("S/")
    expect(page.locator("#svc-editor")).to_be_hidden()
    assert page.js_errors == []


def _category(rt: HubRuntime, code: str) -> CatalogCategory:
    with Session(rt.engine) as session:
        row = session.exec(select(CatalogCategory).where(CatalogCategory.code == code)).one()
        session.expunge(row)
        return row


def test_admin_renames_and_deactivates_categories(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/catalogo")
    hem = page.locator("#categories tr[data-category=HEM]")
    name = hem.locator("input[name=name]")
    expect(name).to_have_value("Hematología")

    # ---- a name another category has is refused beside the field, keeping what was typed
    name.fill("bioquimica")
    hem.locator("[data-rename]").click()
    expect(hem.locator("[data-error-for=name]")).to_contain_text("Ya existe la categoría")
    expect(name).to_have_value("bioquimica")
    assert _category(hub_runtime, "HEM").name == "Hematología"

    # ---- renamed: the hub holds it and the tests list shows the new name
    name.fill("Hematología y coagulación")
    name.press("Enter")
    expect(page.locator("#flash")).to_contain_text("renombrada a «Hematología y coagulación»")
    expect(hem.locator("input[name=name]")).to_have_value("Hematología y coagulación")
    expect(hem.locator("[data-error-for=name]")).to_be_empty()
    assert _category(hub_runtime, "HEM").name == "Hematología y coagulación"
    page.fill("#svc-search input[name=q]", "HEM-001")
    page.keyboard.press("Enter")
    expect(page.locator("#services tr[data-code='HEM-001'] td").nth(2)).to_have_text(
        "Hematología y coagulación"
    )

    # ---- a category with active tests is not deactivated; the count shows beside its state
    active_hem = sum(1 for t in catalog_data.TESTS if t["category"] == "HEM")
    hem.locator("[data-toggle]").click()
    error = hem.locator("[data-error-for=active]")
    expect(error).to_contain_text(f"{active_hem} examen(es)")
    expect(hem.locator("[data-state]")).to_have_text("Activa")
    assert _category(hub_runtime, "HEM").active is True

    # ---- an empty category is deactivated, then reactivated
    cat = page.locator("#cat-form")
    cat.locator("input[name=code]").fill("GEN")
    cat.locator("input[name=name]").fill("Genética")
    cat.locator("button").click()
    gen = page.locator("#categories tr[data-category=GEN]")
    expect(gen.locator("[data-toggle]")).to_have_text("Desactivar")
    gen.locator("[data-toggle]").click()
    expect(page.locator("#flash")).to_contain_text("GEN · Genética desactivada")
    expect(gen.locator("[data-state]")).to_have_text("Inactiva")
    expect(gen.locator("[data-toggle]")).to_have_text("Reactivar")
    assert _category(hub_runtime, "GEN").active is False
    shot(page, screens, "hub-catalogo-categorias")
    gen.locator("[data-toggle]").click()
    expect(gen.locator("[data-state]")).to_have_text("Activa")
    assert _category(hub_runtime, "GEN").active is True
    assert page.js_errors == []
