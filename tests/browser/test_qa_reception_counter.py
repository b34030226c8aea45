"""Defects found walking a busy day at the counter, in headless Chromium against a real
``labred edge serve`` (each test fails on the code before its fix).

- Enter typed before the search answers (a fast typist, a barcode reader) registered and
  charged the order with the tests added so far, or picked a result of an older text.
- Enter in a field of the new order, or a second Ctrl+Enter while the first was on its way,
  registered the sale (twice, three times).
- An amount typed with a decimal comma added up on screen and was then refused by the API.
- The orders list lost the keyboard after "S" (next status): the next key did nothing.
- A receptionist saw "Anular", typed the reason and only then learnt her role cannot cancel.
- The patient's history spoke English (``last_names``, ``doc_type`` "1").
- On a narrow screen the menu ran off the right edge (the page scrolled sideways).
"""

from __future__ import annotations

import re
from typing import Any

from domain.ids import new_id
from tests.browser.conftest import (
    PASSWORD,
    EdgeNode,
    expect,
    new_tab,
    ready,
    sign_in_reception,
)


def orders_total(page: Any) -> int:
    return int(page.evaluate("fetch('/api/orders?page_size=1').then((r) => r.json())")["total"])


def register_patient(page: Any, last_names: str, first_names: str) -> str:
    """A new patient (DNI unique to this test) through the form; lands on the new order."""
    dni = str(int(new_id().replace("-", "")[-12:], 16) % 90_000_000 + 10_000_000)
    page.goto(f"/recepcion/pacientes/nuevo?doc={dni}")
    ready(page)
    form = page.locator("#patient-form")
    form.locator("input[name=last_names]").fill(last_names)
    form.locator("input[name=first_names]").fill(first_names)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva\?paciente="))
    ready(page)
    expect(page.locator("#patient-chosen")).to_be_visible()
    return dni


def add_service(page: Any, query: str, expected: str) -> None:
    box = page.locator("#svc-q")
    box.fill(query)
    expect(page.locator("#svc-results [role=option]").first).to_contain_text(expected)
    box.press("Enter")
    expect(page.locator("#cart tbody")).to_contain_text(expected)


def pay_with(page: Any, method: str) -> None:
    page.locator(".pay-row [data-f=method]").first.select_option(method)
    if method != "efectivo":  # the operation number is required for non-cash payments
        page.locator(".pay-row [data-f=reference]").first.fill("OP 12345678")


def test_enter_typed_before_the_results_adds_the_test_and_never_registers_the_order(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    dni = register_patient(page, "Quispe Mamani", "Rosa")
    add_service(page, "HEM-004", "Hemoglobina")
    pay_with(page, "yape")
    before = orders_total(page)
    # a barcode reader: the code and Enter, faster than the catalog answers
    page.locator("#svc-q").press_sequentially("HEM-005\n")
    cart = page.locator("#cart tbody tr")
    expect(cart).to_have_count(2)
    expect(page.locator("#cart tbody")).to_contain_text("Hematocrito")
    expect(page.locator("#order-done")).to_be_hidden()
    assert orders_total(page) == before

    # the same in the patient box: Enter right after the DNI picks the patient
    page.locator("#patient-change").click()
    page.locator("#patient-q").press_sequentially(f"{dni}\n")
    expect(page.locator("#patient-chosen")).to_be_visible()
    expect(page.locator("[data-error-for=items]")).to_have_text("")
    assert orders_total(page) == before
    assert not page.js_errors, page.js_errors


def test_enter_never_picks_a_result_of_an_older_text(page: Any, edge_node: EdgeNode) -> None:
    sign_in_reception(page, edge_node.receptionist)
    register_patient(page, "Huamán Ccori", "Luis")
    box = page.locator("#svc-q")
    box.press_sequentially("hemo")
    expect(page.locator("#svc-results [role=option]").first).to_be_visible()
    first = page.locator("#svc-results [role=option]").first.inner_text()
    assert "Hemograma completo" not in first  # else this test proves nothing
    box.press_sequentially("grama\n")  # "hemograma", Enter before its results
    expect(page.locator("#cart tbody tr")).to_have_count(1)
    expect(page.locator("#cart tbody")).to_contain_text("Hemograma completo")
    assert not page.js_errors, page.js_errors


def test_enter_in_a_field_or_a_repeated_confirm_registers_the_sale_once(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    register_patient(page, "Torres Vílchez", "Ana")
    add_service(page, "HEM-006", "Recuento de plaquetas")
    pay_with(page, "yape")
    reference = page.locator(".pay-row [data-f=reference]").first
    reference.fill("OP 4455")
    before = orders_total(page)
    reference.press("Enter")  # habit after typing a field: not a confirmation
    page.locator(".pay-row [data-f=amount]").first.press("Enter")
    expect(page.locator("#order-done")).to_be_hidden()
    assert orders_total(page) == before

    # three Ctrl+Enter in a row while the first is on its way: one order
    page.evaluate(
        "() => { const f = document.getElementById('order-form');"
        " f.requestSubmit(); f.requestSubmit(); f.requestSubmit(); }"
    )
    expect(page.locator("#order-done")).to_be_visible()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-invoice")).to_contain_text("Boleta")
    assert orders_total(page) == before + 1
    assert not page.js_errors, page.js_errors


def test_amounts_typed_with_a_decimal_comma_are_accepted_as_they_add_up(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    register_patient(page, "Ñahui Pérez", "Óscar")
    add_service(page, "BIO-010", "Glucosa basal")  # S/ 12.50
    page.locator("select[name='discount.kind']").select_option("amount")
    page.locator("input[name='discount.value']").fill("1,25")
    page.locator("input[name='discount.reason']").fill("Redondeo de campaña")
    expect(page.locator("#t-total")).to_have_text("S/ 11.25")
    pay = page.locator(".pay-row").first
    pay.locator("[data-f=method]").select_option("tarjeta")
    pay.locator("[data-f=reference]").fill("VISA-5678")
    pay.locator("[data-f=amount]").fill("10,25")  # S/ 1.00 stays as balance
    expect(page.locator("#t-rest")).to_have_text("S/ 1.00")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-summary")).to_contain_text("Total S/ 11.25")
    expect(page.locator("#done-summary")).to_contain_text("saldo S/ 1.00")

    # the balance, later, on the order's page: "1,00" too
    page.locator("#done-order").click()
    page.wait_for_url(re.compile(r"/recepcion/ordenes/[0-9a-f-]{36}$"))
    ready(page)
    pay_form = page.locator("#pay-form")
    pay_form.locator("select[name=method]").select_option("plin")
    pay_form.locator("input[name=reference]").fill("OP 555")
    pay_form.locator("input[name=amount]").fill("1,00")
    pay_form.locator("input[name=amount]").press("Control+Enter")
    expect(page.locator("#o-facts")).to_contain_text("Saldo")
    expect(page.locator("#o-payments tbody tr")).to_have_count(2)
    expect(pay_form).to_be_hidden()
    assert not page.js_errors, page.js_errors


def test_orders_list_keeps_the_keyboard_on_the_row_after_next_status(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    for name in ("Uno", "Dos"):
        register_patient(page, "Lista Teclado", name)
        add_service(page, "HEM-003", "Grupo sanguíneo")
        pay_with(page, "yape")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#done-invoice")).to_contain_text("Boleta")
    page.keyboard.press("F8")
    page.wait_for_url(re.compile(r"/recepcion/ordenes"))
    ready(page)
    rows = page.locator("#orders tbody tr[data-id]")
    page.keyboard.press("ArrowDown")  # the second row
    second = rows.nth(1).get_attribute("data-id")
    page.keyboard.press("s")
    expect(rows.nth(1).locator(".badge")).to_have_text("Muestra tomada")  # the list redrawn
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("s")  # the keyboard is still on it: next status again
    expect(rows.nth(1).locator(".badge")).to_have_text("Enviada al laboratorio")
    assert rows.nth(1).get_attribute("data-id") == second
    assert not page.js_errors, page.js_errors


def test_a_receptionist_is_not_offered_a_cancel_her_role_cannot_do(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    register_patient(page, "Sin Anular", "Carla")
    add_service(page, "HEM-002", "Velocidad de sedimentación")
    pay_with(page, "yape")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-invoice")).to_contain_text("Boleta")
    page.locator("#done-order").click()
    page.wait_for_url(re.compile(r"/recepcion/ordenes/[0-9a-f-]{36}$"))
    ready(page)
    expect(page.locator("#o-next")).to_be_visible()
    expect(page.locator("#o-cancel")).to_be_hidden()
    # paid in full: no discount to ask for either (the API would refuse it)
    expect(page.locator("#o-payments tbody tr")).to_have_count(1)
    expect(page.locator("#dr-form")).to_be_hidden()
    page.keyboard.press("Delete")
    expect(page.locator("#cancel-dialog")).to_be_hidden()
    page.keyboard.press("F8")
    page.wait_for_url(re.compile(r"/recepcion/ordenes"))
    ready(page)
    expect(page.locator("#orders tbody tr[data-id]").first).to_be_visible()
    expect(page.locator("#orders button", has_text="Anular")).to_have_count(0)
    assert not page.js_errors, page.js_errors


def test_the_patients_history_speaks_spanish(page: Any, edge_node: EdgeNode) -> None:
    sign_in_reception(page, edge_node.receptionist)
    dni = register_patient(page, "Mendoza Ñique", "Begoña")
    page.keyboard.press("F2")
    page.wait_for_url(re.compile(r"/recepcion$"))
    ready(page)
    page.locator("#q").fill(dni)
    expect(page.locator("#results [role=option]")).to_have_count(1)
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"/recepcion/pacientes/[0-9a-f-]{36}$"))
    ready(page)
    history = page.locator("#p-history tbody")
    expect(history).to_contain_text("Apellidos")
    expect(history).to_contain_text("Tipo de documento")
    row = page.locator("#p-history tbody tr", has_text="Tipo de documento")
    expect(row).to_contain_text("DNI")
    text = history.inner_text()
    for code in ("last_names", "first_names", "doc_type", "doc_number"):
        assert code not in text, text
    assert not page.js_errors, page.js_errors


def test_a_narrow_screen_never_scrolls_sideways(browser: Any, edge_node: EdgeNode) -> None:
    context = browser.new_context(
        base_url=edge_node.url, locale="es-PE", timezone_id="America/Lima",
        viewport={"width": 390, "height": 844},
    )  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.js_errors = errors
        sign_in_reception(page, edge_node.supervisor, PASSWORD)
        for path in ("/recepcion", "/recepcion/ordenes/nueva", "/recepcion/caja"):
            page.goto(path)
            ready(page)
            expect(page.locator("nav.main-nav a[href$='/cierres']")).to_be_visible()
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, f"{path}: the page is {width}px wide on a 390px screen"
        assert not errors, errors
    finally:
        context.close()


def test_closing_the_cash_keeps_the_keyboard_where_the_next_step_is(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    page.keyboard.press("F6")
    page.wait_for_url(re.compile(r"/recepcion/caja$"))
    ready(page)
    opening = page.locator("#open-form")
    expect(opening).to_be_visible()
    opening.locator("input[name='denominations.50.00']").fill("1")
    page.keyboard.press("Control+Enter")
    # cash out with its reason (S/ 20.00 typed with a comma); more than the drawer holds: no
    moves = page.locator("#move-form")
    expect(moves).to_be_visible()
    moves.locator("input[name=amount]").fill("500")
    moves.locator("input[name=reason]").fill("Pago a proveedor")
    moves.locator("input[name=reason]").press("Control+Enter")
    refused = moves.locator("[data-form-error], .field-error").filter(has_text="efectivo")
    expect(refused).to_be_visible()
    expect(moves.locator("input[name=reason]")).to_have_value("Pago a proveedor")
    moves.locator("input[name=amount]").fill("20,00")
    moves.locator("input[name=reason]").fill("Compra de útiles")
    moves.locator("input[name=reason]").press("Control+Enter")
    expect(page.locator("#move-list li")).to_have_count(1)
    expect(page.locator("#move-list")).to_contain_text("Egreso de S/ 20.00: Compra de útiles")
    expect(moves.locator("input[name=amount]")).to_be_focused()
    count = page.locator("#count-form")
    expect(count).to_be_visible()
    count.locator("input[name='denominations.10.00']").fill("1")  # 50 - 20 = 30 expected
    count.locator("input[name='declared.tarjeta']").fill("0,00")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#count-verdict")).to_contain_text("requiere aprobación")
    closing = page.locator("#close-form")
    expect(closing.locator("input[name=note]")).to_be_focused()
    closing.locator("input[name=note]").fill("Faltante: se revisa con el supervisor")
    page.keyboard.press("Control+Enter")
    # the supervisor's credentials are the next thing to type: the keyboard is there
    expect(closing.locator("[data-error-for=approval]")).to_contain_text("supervisor")
    expect(closing.locator("input[name='approval.username']")).to_be_focused()
    page.keyboard.type(edge_node.supervisor)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#close-summary")).to_be_visible()
    expect(page.locator("#cash-state")).to_contain_text("Caja cerrada")
    expect(page.locator("#close-summary a")).to_be_focused()  # Enter: open the next one
    assert not page.js_errors, page.js_errors


def test_labels_print_from_the_counter_and_a_reprint_asks_its_reason(
    page: Any, browser: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    register_patient(page, "Etiqueta Tubo", "Marta")
    add_service(page, "HEM-004", "Hemoglobina")  # sangre total
    add_service(page, "BIO-010", "Glucosa basal")  # suero: a second tube
    pay_with(page, "yape")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-invoice")).to_contain_text("Boleta")
    with page.context.expect_page() as first_print:
        page.keyboard.press("e")
    assert re.search(r"/api/orders/[0-9a-f-]{36}/labels$", first_print.value.url)
    first_print.value.close()
    expect(page.locator("#done-labels")).to_be_hidden()  # the next print is a reprint

    page.locator("#done-order").click()
    page.wait_for_url(re.compile(r"/recepcion/ordenes/[0-9a-f-]{36}$"))
    ready(page)
    order_url = page.url
    samples = page.locator("#o-samples tbody tr")
    expect(samples).to_have_count(2)
    expect(samples.first.locator("td").last).to_have_text("1")
    expect(page.locator("#o-relabel")).to_be_hidden()  # not a receptionist's to reprint
    expect(page.locator("#o-labels-note")).to_contain_text("supervisor")
    assert not page.js_errors, page.js_errors

    boss = new_tab(browser, edge_node.url)
    try:
        sign_in_reception(boss, edge_node.supervisor)
        boss.goto(order_url)
        ready(boss)
        expect(boss.locator("#o-relabel")).to_be_visible()
        boss.keyboard.press("e")
        dialog = boss.locator("#relabel-dialog")
        expect(dialog).to_be_visible()
        boss.keyboard.press("Control+Enter")
        expect(dialog.locator("[data-error-for=reason]")).to_contain_text("motivo")
        dialog.locator("textarea[name=reason]").fill("Etiqueta mojada")
        with boss.context.expect_page() as reprint:
            boss.keyboard.press("Control+Enter")
        assert "reason=Etiqueta%20mojada" in reprint.value.url
        reprint.value.close()
        expect(dialog).to_be_hidden()
        expect(boss.locator("#o-samples tbody tr").first.locator("td").last).to_have_text("2")
        assert not boss.js_errors, boss.js_errors
    finally:
        boss.context.close()


def test_escape_in_a_search_box_clears_it_and_stays_on_the_order(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    register_patient(page, "Escape Teclado", "Iván")
    add_service(page, "HEM-004", "Hemoglobina")
    box = page.locator("#svc-q")
    box.press_sequentially("gluc")
    expect(page.locator("#svc-results [role=option]").first).to_be_visible()
    box.press("Escape")  # "not that one": clear the box, not leave the order
    expect(box).to_have_value("")
    expect(page.locator("#svc-results [role=option]")).to_have_count(0)
    assert re.search(r"/recepcion/ordenes/nueva\?paciente=", page.url), page.url
    expect(page.locator("#cart tbody tr")).to_have_count(1)
    box.press("Escape")  # an empty box: Esc goes back, as everywhere
    page.wait_for_url(re.compile(r"/recepcion/pacientes/nuevo"))
    assert not page.js_errors, page.js_errors


def test_a_patient_that_cannot_be_opened_is_explained_not_a_script_error(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    dni = register_patient(page, "Fusionado Otro", "Pedro")
    page.locator("#patient-change").click()
    # the record went away between the search and the pick (merged at another counter)
    body = '{"detail":[{"type":"patient_merged","msg":"El paciente fue fusionado.","loc":[]}]}'
    page.route(
        re.compile(r"/api/patients/[0-9a-f-]{36}$"),
        lambda route: route.fulfill(status=409, content_type="application/json", body=body),
    )
    page.locator("#patient-q").fill(dni)
    expect(page.locator("#patient-results [role=option]")).to_have_count(1)
    page.locator("#patient-q").press("Enter")
    expect(page.locator("[data-error-for=patient_id]")).to_have_text("El paciente fue fusionado.")
    expect(page.locator("#patient-chosen")).to_be_hidden()
    assert not page.js_errors, page.js_errors


def test_a_sale_whose_answer_was_lost_is_registered_once_when_confirmed_again(
    page: Any, edge_node: EdgeNode
) -> None:
    """The network drops the answer of a sale the node registered: confirming again returns
    that order (same Idempotency-Key) instead of selling it a second time."""
    sign_in_reception(page, edge_node.receptionist)
    register_patient(page, "Huamán Ccori", "Luz")
    add_service(page, "HEM-004", "Hemoglobina")
    pay_with(page, "yape")
    before = orders_total(page)
    keys: list[str] = []

    def lose_the_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key", ""))
        route.fetch()  # the node registers the sale ...
        route.abort()  # ... and its answer never reaches the counter

    page.route("**/api/orders", lose_the_answer)
    with page.expect_event("requestfailed"):
        page.keyboard.press("Control+Enter")
    page.unroute("**/api/orders")
    expect(page.locator("#order-done")).to_be_hidden()
    assert orders_total(page) == before + 1  # registered, though the counter never heard
    expect(page.locator("#submit-order")).to_be_enabled()

    page.keyboard.press("Control+Enter")  # the receptionist confirms again
    expect(page.locator("#order-done")).to_be_visible()
    expect(page.locator("#done-invoice")).to_contain_text("Boleta")
    assert orders_total(page) == before + 1
    assert len(keys) == 1 and re.fullmatch(r"[0-9a-f]{32}", keys[0]), keys
    assert not page.js_errors, page.js_errors
