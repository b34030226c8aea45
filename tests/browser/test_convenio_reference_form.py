"""The hub's convenio payment form in headless Chromium: the reference is marked required for
transferencia, depósito and cheque (not for efectivo), a depósito without its operation number
is refused with the Spanish message beside the field, and a cheque with its number is recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.catalog_data import catalog_id_for
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    shot,
    sign_in_hub,
)

CONV = catalog_id_for("convenio", "CONV-SALUDPLUS")


def test_bank_payments_ask_for_their_reference(hub_page: Any, screens: Path) -> None:
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/convenios")
    page.locator(f"#convenios tr[data-convenio='{CONV}'] button").click()
    expect(page.locator("#pay-section")).to_be_visible()
    form = page.locator("#pay-form")
    method = form.locator("select[name=method]")
    reference = form.locator("input[name=reference]")
    marker = page.locator("#pay-reference-required")

    expect(method).to_have_value("transferencia")
    expect(marker).to_be_visible()
    expect(reference).to_have_attribute("aria-required", "true")
    method.select_option("efectivo")
    expect(marker).to_be_hidden()
    expect(reference).to_have_attribute("aria-required", "false")
    assert reference.evaluate("el => el.required") is False

    method.select_option("deposito")
    expect(marker).to_be_visible()
    assert reference.evaluate("el => el.required") is True
    form.locator("input[name=amount]").fill("20.00")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-error-for=reference]")).to_have_text(
        "Indique el número de operación del depósito: con él se concilia el pago con el estado "
        "de cuenta del banco."
    )
    expect(page.locator("#conv-payments tbody")).to_contain_text("Sin pagos registrados")
    shot(page, screens, "hub-32-convenio-referencia")

    method.select_option("cheque")
    expect(marker).to_be_visible()
    reference.fill("CH 00012345")
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_have_text("Pago registrado: S/ 20.00 a cuenta.")
    row = page.locator("#conv-payments tbody tr[data-payment]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("CH 00012345")
    expect(form.locator("[data-error-for=reference]")).to_be_empty()
    # the form is back to a transferencia, whose reference is required again
    expect(method).to_have_value("transferencia")
    expect(marker).to_be_visible()
    assert page.js_errors == []
