"""A receptionist's day against a real ``labred edge serve`` process, at 80x24, and the
defects that walk found: the wrong-password message, Lima hours, the cash count summary, the
status bar width, and a sale that must never be sent twice when the node drops between the
order and its document."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from textual.widgets import DataTable, Static

from domain.clock import LIMA, business_date
from tests.procs import EdgeProcess, serving_edge
from tests.tui.conftest import (
    NODE_ADMIN_PASSWORD,
    LiveEdge,
    on_screen,
    sign_in,
    type_in,
    until,
)
from tests.tui.keys import type_keys
from tui.api import ApiError, EdgeApi, EdgeUnreachable, NodeStatus
from tui.app import ReceptionApp
from tui.screens.cash import CashScreen, count_summary
from tui.screens.home import HomeScreen
from tui.screens.login import LoginScreen
from tui.screens.new_order import NewOrderScreen
from tui.screens.orders import OrdersScreen, lima_hour
from tui.screens.patients import PatientsScreen
from tui.screens.payment import PaymentScreen
from tui.widgets.field import FieldWithError
from tui.widgets.status_bar import WIDTH, status_text

pytestmark = pytest.mark.anyio
PASSWORD = NODE_ADMIN_PASSWORD


def text_of(app: ReceptionApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def field(app: ReceptionApp, name: str) -> FieldWithError:
    found = next((f for f in app.screen.query(FieldWithError) if f.name == name), None)
    assert found is not None, name
    return found


@pytest.fixture
def edge_process(node_data: Path, tmp_path: Path) -> Iterator[EdgeProcess]:
    """``labred edge serve`` of a node made by ``labred edge init`` (a copy of node_template)."""
    with serving_edge(node_data, log=tmp_path / "edge.log") as edge:
        yield edge


async def _open_cash(pilot: object, app: ReceptionApp, opening: str = "50") -> None:
    """From home: open the drawer with ``opening`` and come back home."""
    await pilot.press("f4")  # type: ignore[attr-defined]
    await on_screen(pilot, CashScreen)  # type: ignore[arg-type]
    await until(pilot, lambda: "No tiene" in text_of(app, "#cash-state"))  # type: ignore[arg-type]
    await type_in(pilot, "f-opening_float-input", opening)  # type: ignore[arg-type]
    await pilot.press("f5")  # type: ignore[attr-defined]
    await until(pilot, lambda: "Caja abierta" in text_of(app, "#cash-state"))  # type: ignore[arg-type]
    await pilot.press("escape")  # type: ignore[attr-defined]
    await on_screen(pilot, HomeScreen)  # type: ignore[arg-type]


async def _sell_one(pilot: object, app: ReceptionApp, dni: str) -> PaymentScreen:
    """From home: register a patient, put Glucosa basal in the order, go to payment."""
    await pilot.press("f2")  # type: ignore[attr-defined]
    await on_screen(pilot, PatientsScreen)  # type: ignore[arg-type]
    await type_in(pilot, "f-q-input", dni)  # type: ignore[arg-type]
    await until(pilot, lambda: field(app, "doc_number").value == dni)  # type: ignore[arg-type]
    await type_in(pilot, "f-first_names-input", "Rosa Maria")  # type: ignore[arg-type]
    await type_in(pilot, "f-last_names-input", "Quispe Huaman")  # type: ignore[arg-type]
    await pilot.press("ctrl+s")  # type: ignore[attr-defined]
    await on_screen(pilot, NewOrderScreen)  # type: ignore[arg-type]
    order_screen = app.screen
    assert isinstance(order_screen, NewOrderScreen)
    await type_in(pilot, "f-service_q-input", "glucosa basal")  # type: ignore[arg-type]
    await until(pilot, lambda: order_screen._found)  # type: ignore[arg-type]
    await pilot.press("enter", "enter")  # type: ignore[attr-defined]
    await until(pilot, lambda: order_screen.draft.services)  # type: ignore[arg-type]
    await pilot.press("f9")  # type: ignore[attr-defined]
    await on_screen(pilot, PaymentScreen)  # type: ignore[arg-type]
    pay = app.screen
    assert isinstance(pay, PaymentScreen)
    return pay


async def test_a_receptionist_day_against_a_real_edge_process(
    edge_process: EdgeProcess, make_app: Callable[[str], ReceptionApp]
) -> None:
    app = make_app(edge_process.url)
    async with app.run_test(size=(80, 24)) as pilot:
        # a wrong password says so under the password field, and the message stays
        await until(pilot, lambda: app.screen.query("#f-username-input"))
        await type_in(pilot, "f-username-input", "admin")
        await type_in(pilot, "f-password-input", "no-es-la-clave")
        await pilot.press("enter")
        await until(pilot, lambda: field(app, "password").error != "")
        await pilot.pause(0.3)
        assert field(app, "password").error == "Usuario o contraseña incorrectos."
        assert field(app, "password").value == ""
        assert isinstance(app.screen, LoginScreen)

        await type_in(pilot, "f-password-input", PASSWORD)
        await pilot.press("enter")
        await on_screen(pilot, HomeScreen)
        await until(pilot, lambda: app.node.sede_code == "S01")
        bar = text_of(app, "#status-bar")
        assert len(bar) <= WIDTH and re.search(r"│ ?\d\d:\d\d$", bar), bar

        # open the drawer
        await _open_cash(pilot, app, "100")

        # sell and pay in cash; the boleta comes out
        pay = await _sell_one(pilot, app, "45871239")
        await pilot.press("f9")
        await until(pilot, lambda: "Boleta" in text_of(app, "#receipt"))
        assert pay.order is not None and pay.order["total"] == "12.50"

        # the day's orders show the hour on Lima's clock, not UTC
        await pilot.press("escape")
        await on_screen(pilot, HomeScreen)
        await pilot.press("f3")
        await on_screen(pilot, OrdersScreen)
        table = app.screen.query_one("#orders-table", DataTable)
        await until(pilot, lambda: table.row_count == 1)
        created = dt.datetime.fromisoformat(pay.order["created_at"])
        assert table.get_row_at(0)[1] == created.astimezone(LIMA).strftime("%H:%M")

        # cancel it (admin may), with a reason
        await pilot.press("f8")
        await until(pilot, lambda: app.screen.query("#f-reason-input"))
        await type_keys(pilot, "paciente desistio", "enter")
        await until(pilot, lambda: table.row_count == 1 and table.get_row_at(0)[2] == "ANULADA")
        await pilot.press("escape")
        await on_screen(pilot, HomeScreen)

        # count the drawer: the cash line is shown first, then the total
        await pilot.press("f4")
        await on_screen(pilot, CashScreen)
        await until(pilot, lambda: "Caja abierta" in text_of(app, "#cash-state"))
        await type_in(pilot, "f-denominations-100-00-input", "1")
        await pilot.press("f6")
        await until(pilot, lambda: "TOTAL" in text_of(app, "#cash-result"))
        summary = text_of(app, "#cash-result").splitlines()
        assert summary[0].startswith("Efectivo: esperado S/ 100.00, contado S/ 100.00")
        assert summary[-1].startswith("TOTAL esperado S/ 100.00")
        await pilot.press("f9")
        await until(pilot, lambda: "Caja cerrada" in text_of(app, "#cash-state"))


async def test_the_node_killed_mid_sale_comes_back_and_the_sale_is_made_once(
    edge_process: EdgeProcess, make_app: Callable[[str], ReceptionApp]
) -> None:
    app = make_app(edge_process.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "admin", PASSWORD)
        await _open_cash(pilot, app, "50")
        pay = await _sell_one(pilot, app, "45871240")

        edge_process.kill()
        await pilot.press("f9")  # sent while the node is down: refused, so retried
        await until(pilot, lambda: not app.online)
        await pilot.pause(0.5)
        assert pay.order is None
        edge_process.start()
        await until(pilot, lambda: "Boleta" in text_of(app, "#receipt"), timeout=30)
        day = business_date(app.clock.now()).isoformat()
        assert len(app.api.list_orders(date=day)) == 1


async def test_a_drop_while_fetching_the_document_does_not_send_the_order_again(
    live_edge: LiveEdge,
    make_app: Callable[[str], ReceptionApp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(live_edge.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await _open_cash(pilot, app, "50")
        await _sell_one(pilot, app, "45871241")

        # the order is in; the node drops before the document is looked up (once)
        real = EdgeApi.invoices_of
        drops = [EdgeUnreachable("dropped")]

        def flaky(api: EdgeApi, order_id: str) -> list[dict[str, object]]:
            if drops:
                raise drops.pop()
            return real(api, order_id)  # type: ignore[return-value]

        monkeypatch.setattr(EdgeApi, "invoices_of", flaky)
        await pilot.press("f9")
        await until(pilot, lambda: "Boleta" in text_of(app, "#receipt"))
        day = business_date(app.clock.now()).isoformat()
        assert len(app.api.list_orders(date=day)) == 1  # the old code sold it twice


async def test_a_document_that_failed_is_issued_by_f7(
    live_edge: LiveEdge,
    make_app: Callable[[str], ReceptionApp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(live_edge.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await _open_cash(pilot, app, "50")
        pay = await _sell_one(pilot, app, "45871242")

        real = EdgeApi.invoices_of
        failures = [ApiError(503, "unavailable", "Servicio no disponible por un momento.")]

        def failing(api: EdgeApi, order_id: str) -> list[dict[str, object]]:
            if failures:
                raise failures.pop()
            return real(api, order_id)  # type: ignore[return-value]

        monkeypatch.setattr(EdgeApi, "invoices_of", failing)
        await pilot.press("f9")
        await until(pilot, lambda: "aún no emitido" in text_of(app, "#receipt"))
        assert pay.order is not None and pay.invoice is None
        assert "Servicio no disponible" in text_of(app, ".form-error")
        await pilot.press("f8")  # issue it now and save its PDF
        await until(pilot, lambda: "Ticket guardado" in text_of(app, "#receipt"))
        assert pay.invoice is not None and "Boleta" in text_of(app, "#receipt")


def test_order_hours_are_lima_time() -> None:
    assert lima_hour("2026-11-29T18:34:35.024721Z") == "13:34"
    assert lima_hour("2026-11-30T03:10:00+00:00") == "22:10"  # still the 29th in Lima
    assert lima_hour("2026-11-29T18:34:35") == "13:34"  # naive: the node's UTC
    assert lima_hour("") == ""


def test_the_count_summary_starts_with_cash_and_skips_idle_methods() -> None:
    line = {"expected": "0.00", "counted": "0.00", "difference": "0.00"}
    result = {
        "lines": [
            {
                "method": "efectivo",
                "expected": "157.50",
                "counted": "100.00",
                "difference": "-57.50",
            },
            {**line, "method": "tarjeta"},
            {"method": "yape", "expected": "40.00", "counted": "40.00", "difference": "0.00"},
            {**line, "method": "plin"},
            {**line, "method": "transferencia"},
        ],
        "expected_total": "197.50",
        "counted_total": "140.00",
        "difference": "-57.50",
        "needs_approval": True,
    }
    assert count_summary(result).splitlines() == [
        "Efectivo: esperado S/ 157.50, contado S/ 100.00, diferencia -S/ 57.50",
        "Yape: esperado S/ 40.00, contado S/ 40.00, diferencia S/ 0.00",
        "TOTAL esperado S/ 197.50  contado S/ 140.00  diferencia -S/ 57.50  "
        "(requiere aprobación de supervisor)",
    ]


@pytest.mark.parametrize("online", [True, False])
@pytest.mark.parametrize("user", ["recepcion.s01", "supervisora.miraflores.turno.tarde"])
def test_the_status_bar_fits_80_columns_and_keeps_the_clock(online: bool, user: str) -> None:
    node = NodeStatus(
        sede_code="S01", hub="comprobando", sunat_pending=12, sunat_overdue=2,
        lab_pending=3, sync_backlog=1234,
    )  # fmt: skip
    text = status_text(node, user, online=online, clock_text="13:34")
    assert len(text) <= WIDTH
    assert text.endswith("13:34")
    assert "Sync 1234" in text and "SUNAT 12(2!)" in text
    short = status_text(NodeStatus(sede_code="S01"), "ana", online=True, clock_text="09:05")
    assert short == "S01 │ ana │ Nodo OK │ Central: comprobando │ SUNAT 0 │ Lab 0 │ Sync 0 │ 09:05"


async def test_a_sale_whose_answer_is_lost_is_sent_again_and_made_once(
    live_edge: LiveEdge,
    make_app: Callable[[str], ReceptionApp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The node registers the sale and the connection drops before its answer: the TUI sends
    it again with the sale's Idempotency-Key and gets the same order back."""
    app = make_app(live_edge.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await _open_cash(pilot, app, "50")
        await _sell_one(pilot, app, "45871243")

        http = app.api.http
        real = http.request
        keys: list[str] = []

        def answer_lost_once(method: str, url: str, **kwargs: object) -> object:
            response = real(method, url, **kwargs)  # type: ignore[arg-type]
            if method == "POST" and str(url) == "/api/orders":
                keys.append(dict(kwargs.get("headers") or {}).get("Idempotency-Key", ""))  # type: ignore[call-overload]
                if len(keys) == 1:
                    raise httpx.ReadError("connection reset after the sale was registered")
            return response

        monkeypatch.setattr(http, "request", answer_lost_once)
        await pilot.press("f9")
        await until(pilot, lambda: "Boleta" in text_of(app, "#receipt"))
        day = business_date(app.clock.now()).isoformat()
        assert len(app.api.list_orders(date=day)) == 1
        assert len(keys) == 2 and keys[0] == keys[1] and len(keys[0]) == 32, keys
