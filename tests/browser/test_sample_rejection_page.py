"""A rejected tube and its recollection ("retoma") on the order page, in headless Chromium
against a real ``labred edge serve`` at 1366×768.

The receptionist sells two tubes and prints their labels, takes the EDTA tube and rejects it
(first as «Otro motivo» without a note: the API's message shows in the dialog; then as
hemolysed). The list shows the rejected tube struck through with its reason and the retoma by
taking, the order carries «Retoma pendiente», the toast names both barcodes and the keyboard is
on «Imprimir etiquetas», which prints only the retoma's label (a PDF, no reason asked). Taking
the retoma clears the badge. A second tab still showing the tube as taken gets the 409 in its
dialog; a user without ``sample.manage`` is offered no action.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from domain.ids import new_id
from tests.browser.conftest import EdgeNode, expect, ready, sign_in_reception
from tests.browser.counter_helpers import laptop_tab

LABELS_URL = re.compile(r"/api/orders/[0-9a-f-]{36}/labels$")


def sell_two_tubes(tab: Any) -> str:
    """A new patient, a hemograma (EDTA) and a glucosa (suero) paid by Yape; the order's URL."""
    dni = str(int(new_id().replace("-", "")[-12:], 16) % 90_000_000 + 10_000_000)
    tab.goto(f"/recepcion/pacientes/nuevo?doc={dni}")
    ready(tab)
    tab.locator("#patient-form input[name=last_names]").fill("Retoma Quispe")
    tab.locator("#patient-form input[name=first_names]").fill("Rosa")
    tab.keyboard.press("Control+Enter")
    tab.wait_for_url(re.compile(r"/recepcion/ordenes/nueva\?paciente="))
    ready(tab)
    for query, name in (("HEM-001", "Hemograma"), ("BIO-010", "Glucosa basal")):
        tab.locator("#svc-q").fill(query)
        expect(tab.locator("#svc-results [role=option]").first).to_contain_text(name)
        tab.locator("#svc-q").press("Enter")
        expect(tab.locator("#cart tbody")).to_contain_text(name)
    tab.locator(".pay-row [data-f=method]").first.select_option("yape")
    tab.locator(".pay-row [data-f=reference]").first.fill("OP 55512345")
    tab.keyboard.press("Control+Enter")
    expect(tab.locator("#done-invoice")).to_contain_text("Boleta")
    tab.locator("#done-order").click()
    tab.wait_for_url(re.compile(r"/recepcion/ordenes/[0-9a-f-]{36}$"))
    ready(tab)
    return str(tab.url)


def print_labels(tab: Any, press: str) -> None:
    """``press`` opens the labels in a new tab: it answers 200 with a PDF."""
    with tab.context.expect_event("response", lambda r: LABELS_URL.search(r.url)) as answer:
        with tab.context.expect_page() as opened:
            tab.keyboard.press(press)
    response = answer.value
    assert response.status == 200
    assert response.header_value("content-type") == "application/pdf"
    # (the body Chromium hands back is its PDF viewer's page, not the file)
    assert re.search(r'filename="[^"]+\.pdf"', response.header_value("content-disposition"))
    opened.value.close()


def prints(row: Any) -> Any:
    return row.locator("td").last


def test_reject_a_tube_print_and_take_its_retoma(
    browser: Any, edge_node: EdgeNode, screens: Path
) -> None:
    tab = laptop_tab(browser, edge_node.url)
    stale = laptop_tab(browser, edge_node.url)
    try:
        sign_in_reception(tab, edge_node.receptionist)
        order_url = sell_two_tubes(tab)
        rows = tab.locator("#o-samples tbody tr")
        expect(rows).to_have_count(2)
        edta = rows.filter(has_text="Sangre total")
        suero = rows.filter(has_text="Suero")
        print_labels(tab, "e")
        expect(prints(edta)).to_have_text("1")  # repainted when the cashier is back
        expect(suero.locator("[data-reject]")).to_have_count(0)  # not taken: nothing to reject
        tab.keyboard.press("m")  # the keyboard to the tubes
        expect(tab.locator("#o-samples tbody button").first).to_be_focused()

        edta.locator("[data-take]").click()
        expect(edta.locator(".sample-state")).to_have_text("Tomada")
        expect(tab.locator("#o-recollection")).to_be_hidden()
        sign_in_reception(stale, edge_node.receptionist)  # a second tab: the tube taken
        stale.goto(order_url)
        ready(stale)
        expect(stale.locator("#o-samples [data-reject]")).to_have_count(1)

        edta.locator("[data-reject]").focus()
        tab.keyboard.press("Enter")
        dialog = tab.locator("#reject-dialog")
        expect(dialog).to_be_visible()
        reason = dialog.locator("select[name=reason]")
        expect(reason).to_be_focused()
        expect(dialog.locator("#reject-barcode")).to_have_text(
            edta.locator("td").first.inner_text()
        )
        reason.select_option("otra")
        expect(dialog.locator("#reject-note-need")).to_contain_text("obligatoria")
        tab.keyboard.press("Control+Enter")
        expect(dialog.locator("[data-error-for=note]")).to_have_text(
            "Indique en la observación por qué se rechazó la muestra (motivo «otra»)."
        )
        expect(dialog).to_be_visible()
        tab.screenshot(path=str(screens / "sample-reject-dialog-otra.png"))
        reason.select_option("hemolizada")
        dialog.locator("textarea[name=note]").fill("Suero rosado al centrifugar")
        tab.keyboard.press("Control+Enter")
        expect(dialog).to_be_hidden()

        expect(rows).to_have_count(3)
        rejected = tab.locator("#o-samples tr.sample-rejected")
        expect(rejected).to_have_count(1)
        expect(rejected.locator(".sample-state")).to_have_text("Rechazada")
        expect(rejected).to_contain_text("Muestra hemolizada: Suero rosado al centrifugar")
        old_code = rejected.locator("td").first.inner_text()
        retoma = rows.filter(has_text="Retoma de")
        expect(retoma.locator(".sample-state")).to_have_text("Por tomar")
        expect(retoma).to_contain_text(f"Retoma de {old_code}")
        new_code = retoma.locator("td").first.inner_text()
        expect(rejected).to_contain_text(f"Retoma: {new_code}")
        assert new_code != old_code
        assert rejected.evaluate("(tr) => getComputedStyle(tr.cells[0]).textDecorationLine") == (
            "line-through"
        )
        expect(tab.locator("#o-recollection")).to_be_visible()
        expect(tab.locator("#o-recollection")).to_have_text("Retoma pendiente")
        toast = tab.locator("#toast")
        expect(toast).to_contain_text(old_code)
        expect(toast).to_contain_text(new_code)
        expect(tab.locator("#o-labels")).to_be_focused()
        expect(tab.locator("#o-labels-note")).to_have_text(
            "Se imprime solo la etiqueta de la retoma."
        )
        tab.screenshot(path=str(screens / "sample-rejected-retoma-full.png"), full_page=True)
        tab.locator("#samples-card").scroll_into_view_if_needed()
        tab.screenshot(path=str(screens / "sample-rejected-retoma.png"))

        print_labels(tab, "Enter")  # the focused link: only the retoma's label, no reason
        expect(prints(retoma)).to_have_text("1")
        expect(prints(rejected)).to_have_text("1")
        expect(prints(suero)).to_have_text("1")
        expect(tab.locator("#o-labels")).to_be_hidden()
        expect(tab.locator("#o-relabel")).to_be_hidden()  # not a receptionist's to reprint

        retoma.locator("[data-take]").click()
        expect(retoma.locator(".sample-state")).to_have_text("Tomada")
        expect(tab.locator("#o-recollection")).to_be_hidden()
        expect(retoma.locator("[data-reject]")).to_have_count(1)  # it may be rejected in turn
        assert not tab.js_errors, tab.js_errors

        # The second tab still shows the first tube as taken: the API's 409, in the dialog.
        stale.locator("#o-samples [data-reject]").click()
        stale_dialog = stale.locator("#reject-dialog")
        stale_dialog.locator("select[name=reason]").select_option("hemolizada")
        stale.keyboard.press("Control+Enter")
        expect(stale_dialog.locator("[data-form-error]")).to_have_text(
            "La muestra ya fue rechazada; su retoma ya está registrada."
        )
        expect(stale.locator("#o-samples tbody tr")).to_have_count(3)  # shown as it is now
        stale.screenshot(path=str(screens / "sample-reject-stale.png"))
        stale.keyboard.press("Escape")
        expect(stale_dialog).to_be_hidden()
        assert not stale.js_errors, stale.js_errors
    finally:
        tab.context.close()
        stale.context.close()


def test_without_sample_manage_no_tube_action_is_offered(browser: Any, edge_node: EdgeNode) -> None:
    tab = laptop_tab(browser, edge_node.url)
    try:
        sign_in_reception(tab, edge_node.receptionist)
        order_url = sell_two_tubes(tab)
        tab.locator("#o-samples [data-take]").first.click()
        expect(tab.locator("#o-samples [data-reject]")).to_have_count(1)

        def without_sample_manage(route: Any) -> None:
            answer = route.fetch()
            me = answer.json()
            me["permissions"] = [p for p in me["permissions"] if p != "sample.manage"]
            route.fulfill(response=answer, json=me)

        tab.route("**/api/auth/me", without_sample_manage)
        tab.goto(order_url)
        ready(tab)
        expect(tab.locator("#o-samples tbody tr")).to_have_count(2)
        expect(tab.locator("#o-samples tbody button")).to_have_count(0)
        expect(tab.locator("#o-labels")).to_be_hidden()
        assert not tab.js_errors, tab.js_errors
    finally:
        tab.context.close()
