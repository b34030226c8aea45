"""The real app against a real edge: serve a patient end to end, with Pilot."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, Select, Static

from tests.tui.conftest import LiveEdge, on_screen, sign_in, type_in, until
from tui.app import ReceptionApp
from tui.screens.home import HomeScreen
from tui.screens.new_order import NewOrderScreen
from tui.screens.patients import PatientsScreen
from tui.screens.payment import PaymentScreen

pytestmark = pytest.mark.anyio


def text_of(app: ReceptionApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def test_serve_a_patient_end_to_end(
    live_edge: LiveEdge, make_app: Callable[[str], ReceptionApp], tmp_path: Path
) -> None:
    app = make_app(live_edge.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.node.sede_code == "S01")

        # open the cash drawer (cash payments need it)
        await pilot.press("f4")
        await until(pilot, lambda: "No tiene" in text_of(app, "#cash-state"))
        await type_in(pilot, "f-opening_float-input", "100")
        await pilot.press("f5")
        await until(pilot, lambda: "Caja abierta" in text_of(app, "#cash-state"))
        await pilot.press("escape")

        # search: nobody yet, so the document typed is carried into the form
        await pilot.press("f2")
        await on_screen(pilot, PatientsScreen)
        await type_in(pilot, "f-q-input", "45871236")
        screen = app.screen
        assert isinstance(screen, PatientsScreen)
        await until(pilot, lambda: screen.query_one("#f-doc_number-input").value == "45871236")  # type: ignore[attr-defined]
        await type_in(pilot, "f-first_names-input", "Ana Maria")
        await type_in(pilot, "f-last_names-input", "Perez Quispe")
        await type_in(pilot, "f-phone-input", "987654321")
        await pilot.press("ctrl+s")
        await on_screen(pilot, NewOrderScreen)
        order_screen = app.screen
        assert isinstance(order_screen, NewOrderScreen)
        assert order_screen.draft.patient["full_name"] == "PEREZ QUISPE, ANA MARIA"

        # catalog search: a panel and a single test
        def found(code: str) -> bool:
            return any(s["code"] == code for s in order_screen._found.values())

        def ordered(code: str) -> bool:
            return any(s["code"] == code for s in order_screen.draft.services)

        results = order_screen.query_one("#service-results", DataTable)
        for query, code in (("perfil lip", "PAN-LIP"), ("hemograma", "HEM-001")):
            await type_in(pilot, "f-service_q-input", query)
            await until(pilot, lambda: found(code))  # noqa: B023 - awaited in this iteration
            row = next(i for i, s in enumerate(order_screen._found.values()) if s["code"] == code)
            await pilot.press("enter")  # to the results
            results.move_cursor(row=row)
            await pilot.press("enter")  # add it
            await until(pilot, lambda: ordered(code))  # noqa: B023
        assert order_screen.draft.total == Decimal("90.00")
        assert "TOTAL S/ 90.00" in text_of(app, "#order-totals")

        # split payment: 50.00 cash (100 tendered) + 40.00 Yape
        await pilot.press("f9")
        await on_screen(pilot, PaymentScreen)
        pay = app.screen
        assert isinstance(pay, PaymentScreen)
        amount0 = pay.query_one("#f-payments-0-amount-input")
        amount0.value = ""  # type: ignore[attr-defined]
        await type_in(pilot, "f-payments-0-amount-input", "50")
        await type_in(pilot, "f-payments-0-extra-input", "100")
        pay.query_one("#method-1", Select).value = "yape"
        await type_in(pilot, "f-payments-1-amount-input", "40")
        await type_in(pilot, "f-payments-1-extra-input", "OP123")
        assert "Saldo S/ 0.00" in text_of(app, "#pay-balance")
        await pilot.press("f9")
        await until(pilot, lambda: pay.order is not None)
        receipt = text_of(app, "#receipt")
        assert "VUELTO: S/ 50.00" in receipt
        assert pay.invoice is not None and pay.invoice["full_number"].startswith("B")
        assert f"Boleta {pay.invoice['full_number']} emitida" in receipt

        # the ticket: this edge has no print endpoint, so the PDF lands in the folder
        await pilot.press("f7")
        folder = tmp_path / "tickets"
        await until(pilot, lambda: folder.exists() and any(folder.glob("*.pdf")))
        pdf = next(folder.glob("*.pdf"))
        assert pdf.read_bytes().startswith(b"%PDF")
        assert pay.invoice["full_number"] in pdf.name

        # the node has it all: one order, two payments, paid in full
        assert pay.order is not None
        order = app.api.get_order(pay.order["id"])
        assert order["balance"] == "0.00" and order["total"] == "90.00"
        assert sorted(p["method"] for p in order["payments"]) == ["efectivo", "yape"]

        # the day's orders list it; next patient goes back to the search
        await pilot.press("f2")
        await on_screen(pilot, PatientsScreen)
        await pilot.press("escape")
        await on_screen(pilot, HomeScreen)
        await pilot.press("f3")
        await until(pilot, lambda: app.screen.query("#orders-table"))
        table = app.screen.query_one("#orders-table", DataTable)
        await until(pilot, lambda: table.row_count == 1)
        await pilot.press("f6")  # registrada -> muestra tomada
        await until(pilot, lambda: app.api.get_order(order["id"])["status"] == "muestra_tomada")
