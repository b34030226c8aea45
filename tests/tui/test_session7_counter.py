"""A receptionist with a queue of patients, against a real ``labred edge serve`` process, and
the defects that walk found: a duplicate document now offers the patient already registered, a
discount over the limit asks for a supervisor at the counter, a balance can be paid later from
the day's orders, labels are printed (and reprinted with a reason), the message after giving up
on an unreachable node says what to do, and every footer key fits 80 columns."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static

from edge.auth.tokens import decode_access_token, issue_access_token
from tests.procs import EdgeProcess, serving_edge
from tests.tui.conftest import CASHIER_PASSWORD, on_screen, sign_in, type_in, until
from tests.tui.keys import type_keys
from tests.tui.scenarios import (
    at_new_order,
    at_patient_error,
    at_patients,
    at_payment_done,
    pressing,
    settle,
    signed_in,
    snapshot_app,
)
from tui.api import ApiError
from tui.app import ReceptionApp
from tui.screens.approval import ApprovalDialog
from tui.screens.balance import BalanceScreen
from tui.screens.cash import CashScreen
from tui.screens.home import HomeScreen
from tui.screens.new_order import NewOrderScreen
from tui.screens.orders import OrdersScreen
from tui.screens.patients import PatientsScreen
from tui.screens.payment import PaymentScreen
from tui.screens.reason import ReasonDialog
from tui.widgets.field import FieldWithError

pytestmark = pytest.mark.anyio
PASSWORD = CASHIER_PASSWORD
RUC = "20100070970"


def text_of(app: ReceptionApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def field(app: ReceptionApp, name: str) -> FieldWithError:
    found = next((f for f in app.screen.query(FieldWithError) if f.name == name), None)
    assert found is not None, name
    return found


def screen_text(app: ReceptionApp) -> list[str]:
    """What the terminal shows, one string per row."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text().splitlines()


@pytest.fixture
def counter_edge(node_data: Path, tmp_path: Path) -> Iterator[EdgeProcess]:
    """A real edge process with a receptionist ("cajera") and a supervisor ("supervisora")."""
    with serving_edge(node_data, log=tmp_path / "edge.log") as edge:
        yield edge


def counter_app(make_app: Callable[[str], ReceptionApp], url: str) -> ReceptionApp:
    """The app of these walks: the status bar refreshed at the default pace, since a real node
    allows each user 100 requests a minute (the fixture's 1 s pace alone would spend 180)."""
    app = make_app(url)
    app.settings.status_interval = 15.0
    return app


async def register(pilot: Pilot[None], app: ReceptionApp, dni: str, first: str, last: str) -> None:
    """On the patients screen: fill the new-patient form and press Ctrl+S."""
    for name, value in (("doc_number", dni), ("first_names", first), ("last_names", last)):
        field(app, name).value = value
    await pilot.pause()
    await pilot.press("ctrl+s")


async def add_service(pilot: Pilot[None], screen: NewOrderScreen, query: str, code: str) -> None:
    await type_in(pilot, "f-service_q-input", query)
    await until(pilot, lambda: any(s["code"] == code for s in screen._found.values()))
    row = next(i for i, s in enumerate(screen._found.values()) if s["code"] == code)
    await pilot.press("enter")
    screen.query_one("#service-results", DataTable).move_cursor(row=row)
    await pilot.press("enter")
    await until(pilot, lambda: any(s["code"] == code for s in screen.draft.services))


async def test_patients_at_the_counter_duplicate_offered_accents_folded_and_node_gone(
    counter_edge: EdgeProcess, make_app: Callable[[str], ReceptionApp]
) -> None:
    app = counter_app(make_app, counter_edge.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "cajera", PASSWORD)
        await pilot.press("f2")
        await on_screen(pilot, PatientsScreen)

        # a bad DNI is refused next to the number, before anything is sent
        await register(pilot, app, "4587123", "Maria Jose", "Nuñez Quispe")
        await until(pilot, lambda: field(app, "doc_number").error != "")
        assert field(app, "doc_number").error == "El DNI debe tener exactamente 8 dígitos."
        field(app, "last_names").value = "Núñez Quispe"
        await register(pilot, app, "45871236", "María José", "Núñez Quispe")
        await on_screen(pilot, NewOrderScreen)
        await pilot.press("escape")
        await on_screen(pilot, PatientsScreen)

        # the same DNI again: the patient already registered is offered, Enter serves her
        await register(pilot, app, "45871236", "Maria", "Nunez")
        await until(pilot, lambda: "Ya existe" in field(app, "doc_number").error)
        assert "Enter: atenderlo" in field(app, "doc_number").error
        table = app.screen.query_one("#patient-results", DataTable)
        assert table.row_count == 1 and table.has_focus
        assert "NÚÑEZ QUISPE, MARÍA JOSÉ" in str(table.get_row_at(0)[1])
        await pilot.press("enter")
        await on_screen(pilot, NewOrderScreen)
        order_screen = app.screen
        assert isinstance(order_screen, NewOrderScreen)
        assert order_screen.draft.patient["doc_number"] == "45871236"
        assert len(app.api.search_patients("45871236")) == 1  # still one patient
        await pilot.press("escape")
        await on_screen(pilot, PatientsScreen)

        # "nunez" finds NÚÑEZ
        await type_in(pilot, "f-q-input", "nunez")
        await until(pilot, lambda: table.row_count == 1)
        assert str(table.get_row_at(0)[1]) == "NÚÑEZ QUISPE, MARÍA JOSÉ"

        # the node dies for longer than the app keeps retrying: what was typed stays, and the
        # message says in Spanish what to do; once it is back, Ctrl+S registers the patient
        app.settings.offline_give_up = 1.0
        counter_edge.kill()
        await register(pilot, app, "45871237", "Rosa", "Huaman")
        await until(pilot, lambda: "vuelva a intentar" in text_of(app, ".form-error"), timeout=20)
        assert "revise la red" in text_of(app, ".form-error")
        assert not app.online and isinstance(app.screen, PatientsScreen)
        assert [field(app, n).value for n in ("doc_number", "first_names", "last_names")] == [
            "45871237",
            "Rosa",
            "Huaman",
        ]
        counter_edge.start()
        await pilot.press("ctrl+s")
        await on_screen(pilot, NewOrderScreen)
        assert app.screen.draft.patient["full_name"] == "HUAMAN, ROSA"  # type: ignore[attr-defined]


async def test_a_sale_with_approval_a_balance_paid_later_and_labels_reprinted(
    counter_edge: EdgeProcess, make_app: Callable[[str], ReceptionApp], tmp_path: Path
) -> None:
    app = counter_app(make_app, counter_edge.url)
    notes: list[tuple[str, str]] = []
    real_notify = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        notes.append((str(message), str(kwargs.get("severity", "information"))))
        real_notify(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "cajera", PASSWORD)
        await pilot.press("f4")
        await on_screen(pilot, CashScreen)
        await until(pilot, lambda: "No tiene" in text_of(app, "#cash-state"))
        await type_in(pilot, "f-opening_float-input", "100")
        await pilot.press("f5")
        await until(pilot, lambda: "Caja abierta" in text_of(app, "#cash-state"))
        await pilot.press("escape", "f2")
        await on_screen(pilot, PatientsScreen)
        await register(pilot, app, "45871240", "Ana", "Perez")
        await on_screen(pilot, NewOrderScreen)
        order_screen = app.screen
        assert isinstance(order_screen, NewOrderScreen)

        # a panel and a test, 20 % off (over the 10 % limit), factura to a RUC
        await add_service(pilot, order_screen, "perfil lip", "PAN-LIP")
        await add_service(pilot, order_screen, "hemograma", "HEM-001")
        order_screen.query_one("#discount-kind", Select).value = "percent"
        await type_in(pilot, "f-discount-value-input", "20")
        await type_in(pilot, "f-discount-reason-input", "adulto mayor")
        order_screen.query_one("#document-type", Select).value = "01"
        await type_in(pilot, "f-customer-doc_number-input", RUC)
        await type_in(pilot, "f-customer-name-input", "Clinica Ejemplo SAC")
        await pilot.press("f9")
        await on_screen(pilot, PaymentScreen)
        pay = app.screen
        assert isinstance(pay, PaymentScreen)
        assert "TOTAL A COBRAR S/ 72.00" in text_of(app, "#pay-total")

        # pay part now: 30.00 in cash (50 tendered) and 20.00 by Yape, first without reference
        for name, value in (("payments.0.amount", "30"), ("payments.0.extra", "50")):
            field(app, name).value = value
        pay.query_one("#method-1", Select).value = "yape"
        field(app, "payments.1.amount").value = "20"
        await pilot.pause()
        await pilot.press("f9")
        await until(pilot, lambda: field(app, "payments.1.extra").error != "")
        assert field(app, "payments.1.extra").error.startswith("Indique el número de")
        field(app, "payments.1.extra").value = "OP 778899"

        # the access token expires mid-sale: refreshed silently
        assert app.api.tokens is not None
        secret = (counter_edge.data_dir / "secrets" / "jwt.key").read_text().strip()
        principal = decode_access_token(app.api.tokens.access, secret=secret)
        past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
        app.api.tokens.access = issue_access_token(principal, secret=secret, now=past)
        expired = app.api.tokens.access

        # the discount needs a supervisor: asked for at the counter, a wrong password says so
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ApprovalDialog))
        assert app.api.tokens is not None and app.api.tokens.access != expired
        await type_in(pilot, "f-approver_username-input", "supervisora")
        await type_in(pilot, "f-approver_password-input", "no-es")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, ApprovalDialog)
                and field(app, "approver_password").error != ""
            ),
        )
        assert field(app, "approver_password").error == (
            "Usuario o contraseña del supervisor incorrectos."
        )
        assert field(app, "approver_username").value == "supervisora"  # kept
        await type_in(pilot, "f-approver_password-input", PASSWORD)
        await pilot.press("enter")
        await until(pilot, lambda: pay.order is not None)
        assert pay.order is not None
        receipt = text_of(app, "#receipt")
        assert "VUELTO: S/ 20.00" in receipt and "Saldo pendiente S/ 22.00" in receipt
        order = app.api.get_order(pay.order["id"])
        assert order["total"] == "72.00" and order["balance"] == "22.00"
        assert not [n for n in notes if n[1] == "error"], notes

        # later, from the day's orders: F9 pays the balance; the factura comes with it
        await pilot.press("escape")
        await on_screen(pilot, HomeScreen)
        await pilot.press("f3")
        await on_screen(pilot, OrdersScreen)
        table = app.screen.query_one("#orders-table", DataTable)
        await until(pilot, lambda: table.row_count == 1)
        footer = screen_text(app)[-1]
        for key in ("Etiquetas", "Avanzar", "Ticket", "Anular", "Cobrar saldo", "Volver"):
            assert key in footer, footer
        await pilot.press("f9")
        await on_screen(pilot, BalanceScreen)
        assert field(app, "payments.0.amount").value == "22.00"
        await pilot.press("f9")
        await until(pilot, lambda: "Factura" in text_of(app, "#receipt"))
        assert "Saldo S/ 0.00" in text_of(app, "#receipt")
        assert app.api.get_order(order["id"])["balance"] == "0.00"
        invoices = app.api.invoices_of(order["id"])
        assert [i["doc_type"] for i in invoices] == ["01"] and invoices[0]["total"] == "72.00"
        await pilot.press("escape")
        await on_screen(pilot, OrdersScreen)
        await until(pilot, lambda: table.get_row_at(0)[5] == "0.00")

        # labels: the first print is free; a reprint by the receptionist is refused in Spanish
        folder = tmp_path / "tickets"
        await pilot.press("f4")
        await until(pilot, lambda: any(folder.glob("*.pdf")))
        first = sorted(folder.glob("*.pdf"))
        assert first[0].read_bytes().startswith(b"%PDF")
        await pilot.press("f4")
        await until(pilot, lambda: any(s == "error" for _, s in notes))
        assert ("Su rol no permite: reimprimir etiquetas.", "error") in notes

        # the drawer is counted blind and comes up short: closing asks for a supervisor, then
        # for the note that explains the difference
        await pilot.press("escape")
        await on_screen(pilot, HomeScreen)
        await pilot.press("f4")
        await on_screen(pilot, CashScreen)
        await until(pilot, lambda: "Caja abierta" in text_of(app, "#cash-state"))
        assert "esperado" not in "\n".join(screen_text(app))  # blind: nothing expected shown
        await type_in(pilot, "f-denominations-100-00-input", "1")
        await type_in(pilot, "f-declared-yape-input", "20")
        await pilot.press("f6")
        await until(pilot, lambda: "TOTAL" in text_of(app, "#cash-result"))
        assert text_of(app, "#cash-result").startswith(
            "Efectivo: esperado S/ 152.00, contado S/ 100.00, diferencia -S/ 52.00"
        )
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ApprovalDialog))
        assert "faltante de S/ 52.00 supera el límite" in text_of(app, "#approval-why")
        await type_in(pilot, "f-approver_username-input", "supervisora")
        await type_in(pilot, "f-approver_password-input", PASSWORD)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CashScreen))
        await until(pilot, lambda: field(app, "note").error != "")
        assert field(app, "note").error == "Explique la diferencia en la nota de cierre."
        await type_in(pilot, "f-note-input", "vuelto mal entregado")
        await pilot.press("f9")
        await until(pilot, lambda: "Caja cerrada" in text_of(app, "#cash-state"))

        # the supervisor reprints the labels, giving the reason asked for
        await pilot.press("escape")
        await on_screen(pilot, HomeScreen)
        await pilot.press("f10")
        await sign_in(pilot, "supervisora", PASSWORD)
        await pilot.press("f3")
        await on_screen(pilot, OrdersScreen)
        table = app.screen.query_one("#orders-table", DataTable)
        await until(pilot, lambda: table.row_count == 1)
        for pdf in folder.glob("*.pdf"):
            pdf.unlink()
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await type_keys(pilot, "tubo mal rotulado", "enter")
        await until(pilot, lambda: any(folder.glob("*.pdf")))


Walk = Callable[[Pilot[Any]], Awaitable[None]]


async def at_balance(pilot: Pilot[Any]) -> None:
    await pressing("f3")(pilot)
    pilot.app.screen.query_one("#orders-table", DataTable).move_cursor(row=2)  # 50.00 due
    await pilot.press("f9")
    await settle(pilot)


def dialog(make: Callable[[], Any]) -> Walk:
    async def run(pilot: Pilot[Any]) -> None:
        await signed_in(pilot)
        pilot.app.push_screen(make())
        await settle(pilot)

    return run


WALKS: dict[str, Walk] = {
    "balance": at_balance,
    "approval": dialog(
        lambda: ApprovalDialog(ApiError(422, "discount_needs_approval", "Requiere aprobación."))
    ),
    "reason": dialog(lambda: ReasonDialog("Reimprimir etiquetas de S01-20261129-0003")),
    "login": settle,
    "home": signed_in,
    "patients": at_patients,
    "patient_error": at_patient_error,
    "new_order": at_new_order,
    "payment_done": at_payment_done,
    "orders": pressing("f3"),
    "cash": pressing("f4"),
}


@pytest.mark.parametrize("name", sorted(WALKS))
async def test_every_footer_key_of_every_screen_is_shown_at_80_columns(name: str) -> None:
    size = (80, 24)  # the narrowest terminal; a wider one only has more room
    app = snapshot_app()
    async with app.run_test(size=size) as pilot:
        await WALKS[name](pilot)
        footer = screen_text(app)[-1]
        shown = [b.binding for b in app.screen.active_bindings.values() if b.binding.show]
        assert shown, name
        for binding in shown:
            assert binding.description in footer, (binding.description, footer)
        assert len(footer.rstrip()) <= size[0]


async def test_the_payment_hint_fits_an_80_column_row() -> None:
    app = snapshot_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await at_balance(pilot)
        rows = [line for line in screen_text(app) if "Entrega/Ref." in line]
        assert len(rows) == 2 and all("recibido / N° op." in row for row in rows[1:]), rows
