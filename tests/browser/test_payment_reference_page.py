"""The new-order page against the node's reference rule: a Yape payment without its operation
number is refused (payment_reference_required) and the Spanish message lands under that row's
reference field, nothing is registered; with the number the same sale goes through."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import EdgeNode, expect, sign_in_reception
from tests.browser.test_qa_reception_counter import add_service, orders_total, register_patient


def test_yape_without_operation_number_is_shown_on_its_field(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    register_patient(page, "Condori Apaza", "Julia")
    add_service(page, "HEM-004", "Hemoglobina")
    page.locator(".pay-row [data-f=method]").first.select_option("yape")
    before = orders_total(page)
    page.keyboard.press("Control+Enter")
    error = page.locator("[data-error-for='payments.0.reference']")
    expect(error).to_contain_text("Indique el número de operación de Yape")
    expect(page.locator("#order-done")).to_be_hidden()
    assert orders_total(page) == before

    page.locator(".pay-row [data-f=reference]").first.fill("OP 20261129")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-invoice")).to_contain_text("Boleta")
    assert orders_total(page) == before + 1
    assert not page.js_errors, page.js_errors
