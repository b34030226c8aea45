"""The reception UI end to end in headless Chromium against a real ``labred edge serve``.

Scenarios: a receptionist serves a patient from sign-in to the printed ticket; a supervisor
opens, sells, counts and closes the cash; markup in names renders as text everywhere; the hub
is unreachable and the header says "sin conexión" while the counter keeps selling.
Screenshots of each main page go to the directory printed at the start (and to
/tmp/labred-screens when it exists).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.browser.conftest import PASSWORD, XSS_DOC, XSS_NAME, EdgeNode, sign_in_reception

PRINT_STUB = "window.__printCalls = 0; window.print = () => { window.__printCalls += 1; };"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


sign_in = sign_in_reception


def ready(page: Any) -> None:
    """The page's module has finished loading (``body[data-ready]``)."""
    page.locator("body[data-ready]").wait_for()


def shot(page: Any, screens: Path, name: str) -> None:
    page.screenshot(path=str(screens / f"{name}.png"), full_page=True)


def open_cash(page: Any, pieces: dict[str, str]) -> None:
    page.keyboard.press("F6")
    page.wait_for_url(re.compile(r"/recepcion/caja$"))
    ready(page)
    form = page.locator("#open-form")
    expect(form).to_be_visible()
    for denom, n in pieces.items():
        form.locator(f"input[name='denominations.{denom}']").fill(n)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#cash-state")).to_contain_text("Caja abierta")


def add_service(page: Any, query: str, expected_name: str) -> None:
    box = page.locator("#svc-q")
    box.fill(query)
    expect(page.locator("#svc-results [role=option]").first).to_contain_text(expected_name)
    box.press("Enter")
    expect(page.locator("#cart tbody")).to_contain_text(expected_name)


def test_receptionist_serves_a_patient_from_sign_in_to_printed_ticket(
    page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    page.goto("/recepcion/ingresar")
    shot(page, screens, "01-ingresar")
    sign_in(page, edge_node.receptionist)
    expect(page.locator("#hdr-user")).to_contain_text("Recepcionista")
    expect(page.locator("#hdr-sede")).to_contain_text("S01")
    open_cash(page, {"100.00": "1", "20.00": "2"})

    # F2: search; nobody has this DNI yet, F7 registers it
    page.keyboard.press("F2")
    page.wait_for_url(re.compile(r"/recepcion$"))
    ready(page)
    page.locator("#q").fill("45871236")
    expect(page.locator("#search-state")).to_have_text("Ningún paciente coincide.")
    page.keyboard.press("F7")
    page.wait_for_url(re.compile(r"/recepcion/pacientes/nuevo\?doc=45871236"))
    ready(page)
    form = page.locator("#patient-form")
    expect(form.locator("input[name=doc_number]")).to_have_value("45871236")
    # inline validation: a RUC with a wrong check digit is refused before any request
    form.locator("select[name=doc_type]").select_option("6")
    form.locator("input[name=doc_number]").fill("20100070971")
    expect(form.locator("[data-error-for=doc_number]")).to_contain_text("dígito verificador")
    form.locator("select[name=doc_type]").select_option("1")
    form.locator("input[name=doc_number]").fill("45871236")
    expect(form.locator("[data-error-for=doc_number]")).to_have_text("")
    form.locator("input[name=last_names]").fill("Núñez Quispe")
    form.locator("input[name=first_names]").fill("María José")
    form.locator("input[name=phone]").fill("12")  # rejected by the API: stays typed
    form.locator("input[name=email]").fill("maria.nunez@example.pe")
    form.locator("input[name=address]").fill("Av. Larco 1150, Miraflores")
    page.keyboard.press("Control+Enter")
    expect(form.locator("[data-error-for=phone]")).to_contain_text("Teléfono inválido")
    expect(form.locator("input[name=last_names]")).to_have_value("Núñez Quispe")
    shot(page, screens, "02-paciente-nuevo-error")
    form.locator("input[name=phone]").fill("987654321")
    page.keyboard.press("Control+Enter")

    # new order for the patient just registered
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva\?paciente="))
    ready(page)
    expect(page.locator("#patient-name")).to_have_text("NÚÑEZ QUISPE, MARÍA JOSÉ")
    add_service(page, "lipid", "Perfil lipídico")  # a panel: S/ 55.00
    expect(page.locator("#cart tbody")).to_contain_text("Perfil:")
    add_service(page, "HEM-001", "Hemograma completo")  # S/ 35.00
    expect(page.locator("#t-total")).to_have_text("S/ 90.00")

    # 20 % off: above the receptionist's limit, so a supervisor approves at the counter
    page.locator("select[name='discount.kind']").select_option("percent")
    page.locator("input[name='discount.value']").fill("20")
    page.locator("input[name='discount.reason']").fill("Campaña adulto mayor")
    expect(page.locator("#t-total")).to_have_text("S/ 72.00")

    # F4: split payment, yape 20.00 + cash 52.00 paid with a 100 bill -> change 48.00
    page.keyboard.press("F4")
    first = page.locator(".pay-row").nth(0)
    first.locator("[data-f=amount]").fill("52.00")
    first.locator("[data-f=tendered]").fill("100")
    page.keyboard.press("Alt+p")
    second = page.locator(".pay-row").nth(1)
    second.locator("[data-f=method]").select_option("yape")
    second.locator("[data-f=amount]").fill("20.00")
    second.locator("[data-f=reference]").fill("OP 99887766")
    expect(page.locator("#t-change")).to_have_text("S/ 48.00")
    expect(page.locator("#t-rest")).to_have_text("S/ 0.00")
    page.keyboard.press("Control+Enter")

    # rejected: the approval fields appear, the error sits next to the discount, and
    # everything typed is still there
    expect(page.locator("#approval")).to_be_visible()
    expect(page.locator("[data-error-for=discount]")).to_contain_text("aprobación")
    expect(second.locator("[data-f=reference]")).to_have_value("OP 99887766")
    expect(page.locator("#cart tbody tr")).to_have_count(2)
    page.locator("input[name='discount.approver_username']").fill(edge_node.supervisor)
    page.locator("input[name='discount.approver_password']").fill(PASSWORD)
    shot(page, screens, "03-nueva-orden")
    page.keyboard.press("Control+Enter")

    done = page.locator("#order-done")
    expect(done).to_be_visible()
    expect(page.locator("#done-number")).to_have_text(re.compile(r"^S01-\d{8}-\d{4}$"))
    expect(page.locator("#done-summary")).to_contain_text("Total S/ 72.00")
    expect(page.locator("#done-summary")).to_contain_text("vuelto S/ 48.00")
    expect(page.locator("#done-invoice")).to_contain_text(re.compile(r"Boleta B\w{3}-\d+"))
    shot(page, screens, "04-orden-registrada")
    invoice_no = re.search(r"B\w{3}-\d+", page.locator("#done-invoice").inner_text())
    assert invoice_no is not None

    # print: the ticket opens in a new tab with the series-number and the hash, and asks the
    # browser to print (window.print stubbed: a CSP-blocked inline handler would never call it)
    page.context.add_init_script(PRINT_STUB)
    with page.context.expect_page() as popup_info:
        page.keyboard.press("t")
    ticket = popup_info.value
    ticket.wait_for_load_state()
    ticket.wait_for_function("() => window.__printCalls === 1")
    body = ticket.locator("body").inner_text()
    assert invoice_no.group(0) in body
    digest = page.evaluate(
        "async (no) => { const r = await fetch('/api/billing?limit=5'); const j = await r.json();"
        " return j.items.find((i) => i.full_number === no).digest_value; }",
        invoice_no.group(0),
    )
    assert digest and f"Resumen (hash): {digest}" in body
    ticket.screenshot(path=str(screens / "05-ticket.png"), full_page=True)
    ticket.close()

    # the day's orders list shows it; advance its status from the keyboard
    page.keyboard.press("F8")
    page.wait_for_url(re.compile(r"/recepcion/ordenes"))
    ready(page)
    number = page.locator("#orders tbody tr[data-id] a").first
    expect(number).to_have_text(re.compile(r"^S01-"))
    page.keyboard.press("s")
    expect(page.locator("#orders tbody tr[data-id]").first).to_contain_text("Muestra tomada")
    shot(page, screens, "06-ordenes-del-dia")
    assert not page.js_errors, page.js_errors


def test_supervisor_opens_sells_counts_and_closes_the_cash(
    page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    sign_in(page, edge_node.supervisor)
    open_cash(page, {"50.00": "1", "10.00": "2"})  # float S/ 70.00
    shot(page, screens, "07-caja-abierta")

    # sell one test in cash to the patient found by document
    page.keyboard.press("F3")
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva"))
    ready(page)
    page.locator("#patient-q").fill(XSS_DOC)
    expect(page.locator("#patient-results [role=option]")).to_have_count(1)
    page.locator("#patient-q").press("Enter")
    expect(page.locator("#patient-chosen")).to_be_visible()
    add_service(page, "BIO-010", "Glucosa basal")  # S/ 12.50
    page.locator(".pay-row [data-f=tendered]").first.fill("20")
    expect(page.locator("#t-change")).to_have_text("S/ 7.50")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#order-done")).to_be_visible()
    # "T" prints once the boleta is listed (its key is bound in the same step)
    expect(page.locator("#done-invoice")).to_contain_text("Boleta")
    # the boleta's ticket names the patient, whose name is markup: text, never run
    with page.context.expect_page() as popup_info:
        page.keyboard.press("t")
    ticket = popup_info.value
    ticket.wait_for_load_state()
    assert XSS_NAME in ticket.locator("body").inner_text()
    assert ticket.locator("body script, body img:not([alt='Código QR'])").count() == 0
    ticket.close()

    # blind count: the drawer holds 70.00 + 12.50 = 82.50
    page.keyboard.press("F6")
    page.wait_for_url(re.compile(r"/recepcion/caja$"))
    ready(page)
    count = page.locator("#count-form")
    expect(count).to_be_visible()
    expect(page.locator("#count-result")).to_be_hidden()  # nothing expected shown before
    for denom, n in {"50.00": "1", "20.00": "1", "10.00": "1", "2.00": "1", "0.50": "1"}.items():
        count.locator(f"input[name='denominations.{denom}']").fill(n)
    expect(page.locator("[data-denom-total=count]")).to_have_text("S/ 82.50")
    shot(page, screens, "08-arqueo")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#count-verdict")).to_have_text("Cuadra: sin diferencia.")
    page.locator("#close-form input[name=note]").fill("Cierre de turno")
    page.locator("#close-form input[name=note]").press("Control+Enter")
    expect(page.locator("#close-summary")).to_be_visible()
    expect(page.locator("#summary-verdict")).to_have_text("Diferencia final: S/ 0.00")
    expect(page.locator("#cash-state")).to_contain_text("Caja cerrada")
    shot(page, screens, "09-caja-cerrada")
    assert not page.js_errors, page.js_errors


def test_markup_in_names_renders_as_text_on_every_page(
    page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    sign_in(page, edge_node.supervisor)
    page.locator("#q").fill(XSS_DOC)
    option = page.locator("#results [role=option]")
    expect(option).to_contain_text(XSS_NAME)
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"/recepcion/pacientes/"))
    ready(page)
    expect(page.locator("#p-name")).to_contain_text(XSS_NAME)
    expect(page.locator("#p-name")).to_contain_text("<img src=x onerror=alert(2)>")
    assert page.locator("#p-name script, #p-name img").count() == 0
    shot(page, screens, "10-paciente-xss")

    # a factura whose customer name is markup too; then its ticket page
    page.keyboard.press("F3")
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva\?paciente="))
    ready(page)
    expect(page.locator("#patient-name")).to_contain_text(XSS_NAME)
    add_service(page, "HEM-002", "Velocidad de sedimentación")
    page.locator("input[name=document_type][value='01']").check()
    page.locator("input[name='customer.doc_number']").fill("20100070970")
    page.locator("input[name='customer.name']").fill("<b>ACME</b> <script>alert(3)</script> S.A.C.")
    pay = page.locator(".pay-row").nth(0)
    pay.locator("[data-f=method]").select_option("tarjeta")
    pay.locator("[data-f=reference]").fill("VISA-1234")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-invoice")).to_contain_text("Factura")
    with page.context.expect_page() as popup_info:
        page.locator("#done-ticket").click()
    ticket = popup_info.value
    ticket.wait_for_load_state()
    text = ticket.locator("body").inner_text()
    assert "<b>ACME</b> <script>alert(3)</script> S.A.C." in text
    assert ticket.locator("body b, body script").count() == 0
    ticket.screenshot(path=str(screens / "11-ticket-xss.png"), full_page=True)
    ticket.close()

    page.locator("#done-order").click()
    page.wait_for_url(re.compile(r"/recepcion/ordenes/[0-9a-f-]{36}$"))
    ready(page)
    expect(page.locator("#o-patient")).to_contain_text(XSS_NAME)
    expect(page.locator("#o-facts")).to_contain_text("<script>alert(3)</script>")
    shot(page, screens, "12-orden-xss")

    # cancel it with a reason (Supr): the order is anulada and the payment refunded
    page.keyboard.press("Delete")
    dialog = page.locator("#cancel-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("textarea[name=reason]").fill("Paciente desistió <i>antes</i> de la toma")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#o-status")).to_have_text("Anulada")
    expect(page.locator("#o-facts")).to_contain_text("Paciente desistió <i>antes</i> de la toma")
    shot(page, screens, "12b-orden-anulada")
    time.sleep(0.3)  # any injected handler would have fired by now
    assert not page.dialogs


def test_header_says_sin_conexion_when_the_hub_is_down_and_the_counter_keeps_selling(
    page: Any, edge_node: EdgeNode, screens: Path
) -> None:
    sign_in(page, edge_node.receptionist)
    expect(page.locator("#st-hub")).to_have_text("Central: sin conexión", timeout=15_000)
    expect(page.locator("#st-hub")).to_have_attribute("data-state", "bad")
    expect(page.locator("#st-sync")).to_contain_text("por enviar")
    expect(page.locator("#st-sunat")).to_contain_text("en cola")
    # still selling: a yape-paid order goes through with the hub down
    page.keyboard.press("F3")
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva"))
    ready(page)
    page.locator("#patient-q").fill(XSS_DOC)  # seeded: the test does not lean on another's patient
    expect(page.locator("#patient-results [role=option]")).to_have_count(1)
    page.locator("#patient-q").press("Enter")
    add_service(page, "HEM-003", "Grupo sanguíneo")
    pay = page.locator(".pay-row").nth(0)
    pay.locator("[data-f=method]").select_option("yape")
    pay.locator("[data-f=reference]").fill("OP 1")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#done-invoice")).to_contain_text("Boleta")
    expect(page.locator("#st-hub")).to_have_text("Central: sin conexión")
    shot(page, screens, "13-sin-conexion")
