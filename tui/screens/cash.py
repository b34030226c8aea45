"""Cash drawer: open with a float, blind count by denomination, close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from domain.cash import DENOMINATIONS, denomination_key, method_label
from domain.clock import LIMA
from domain.money import fmt_soles
from tui.api import ApiError, CashSession
from tui.messages import ApiFailed, CashClosed, CashCounted, CashLoaded
from tui.screens.approval import CASH_APPROVAL_CODES, FIRST_ASK, ApprovalDialog
from tui.screens.base import ReceptionScreen
from tui.widgets.field import FieldWithError
from tui.widgets.payment_row import amount_of, check_amount

DECLARED = ("tarjeta", "yape", "plin", "transferencia")


def count_summary(result: dict[str, Any]) -> str:
    """The count's answer in a few lines: cash always, other methods only when they moved."""
    lines = [
        f"{method_label(line['method'])}: esperado {fmt_soles(line['expected'])}, "
        f"contado {fmt_soles(line['counted'])}, diferencia {fmt_soles(line['difference'])}"
        for line in result.get("lines", [])
        if line["method"] == "efectivo"
        or any(Decimal(str(line[k])) != 0 for k in ("expected", "counted"))
    ]
    lines.append(
        f"TOTAL esperado {fmt_soles(result.get('expected_total') or 0)}  contado "
        f"{fmt_soles(result.get('counted_total') or 0)}  "
        f"diferencia {fmt_soles(result.get('difference') or 0)}"
        + ("  (requiere aprobación de supervisor)" if result.get("needs_approval") else "")
    )
    return "\n".join(lines)


def check_pieces(text: str) -> str | None:
    if text and (not text.isdigit() or int(text) > 10000):
        return "Número de piezas inválido."
    return None


class CashScreen(ReceptionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "open_cash", "Abrir caja"),
        Binding("f6", "count", "Arqueo"),
        Binding("f9", "close_cash", "Cerrar caja"),
        Binding("escape", "back", "Volver"),
    ]

    session: CashSession | None = None
    approval: tuple[str, str] | None = None
    """A supervisor's credentials for a difference over the limit, kept until the close."""

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="cash"):
            yield Static("Consultando la caja…", id="cash-state", classes="section")
            yield FieldWithError("Fondo inicial S/", "opening_float", check=check_amount)
            yield Static("Arqueo: piezas por denominación", classes="section")
            with Grid(id="denominations"):
                for value in DENOMINATIONS:
                    key = denomination_key(value)
                    yield FieldWithError(
                        f"{value:>6.2f}", f"denominations.{key}", check=check_pieces
                    )
            with Horizontal(classes="form-row"):
                for method in DECLARED:
                    yield FieldWithError(
                        method.capitalize(), f"declared.{method}", check=check_amount
                    )
            yield FieldWithError("Nota", "note")
            yield Static("", id="cash-result")
            yield Static("", classes="form-error")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="cash", exit_on_error=False)
    def _load(self) -> None:
        try:
            current = self.reception.call_edge(lambda api: api.current_cash())
        except ApiError as exc:
            self.post_message(ApiFailed("load", exc))
            return
        self.post_message(CashLoaded(current))

    def on_cash_loaded(self, message: CashLoaded) -> None:
        self.session = message.session
        state = self.query_one("#cash-state", Static)
        s = message.session
        if s is None:
            state.update("No tiene una caja abierta. Ingrese el fondo inicial y pulse F5.")
            opening = self.field("opening_float")
            if opening is not None:
                opening.input.focus()
        else:
            opened = dt.datetime.fromisoformat(s["opened_at"]).astimezone(LIMA)
            state.update(
                f"Caja abierta el {opened:%d/%m} a las {opened:%H:%M}, fondo S/ "
                f"{s.get('opening_float', '')}. F6 arqueo, F9 cierre."
            )

    def action_open_cash(self) -> None:
        self.clear_errors()
        if self.session is not None:
            self.notify("Ya tiene una caja abierta.", severity="warning")
            return
        field = self.field("opening_float")
        assert field is not None
        if not field.validate():
            return
        amount = f"{amount_of(field.value or '0'):.2f}"
        self._run("open", lambda api: api.open_cash(amount))

    def _counted(self) -> tuple[dict[str, int], dict[str, str]] | None:
        if not self.validate_fields():
            return None
        pieces: dict[str, int] = {}
        for value in DENOMINATIONS:
            key = denomination_key(value)
            field = self.field(f"denominations.{key}")
            if field is not None and field.value:
                pieces[key] = int(field.value)
        declared: dict[str, str] = {}
        for method in DECLARED:
            field = self.field(f"declared.{method}")
            if field is not None and field.value:
                declared[method] = f"{amount_of(field.value):.2f}"
        return pieces, declared

    def action_count(self) -> None:
        self.clear_errors()
        if self.session is None:
            self.notify("Abra la caja primero (F5).", severity="warning")
            return
        counted = self._counted()
        if counted is None:
            return
        session_id = self.session["id"]
        self._run("count", lambda api: api.count_cash(session_id, *counted))

    def action_close_cash(self) -> None:
        self.clear_errors()
        if self.session is None:
            self.notify("No hay caja abierta.", severity="warning")
            return
        note = self.field("note")
        session_id = self.session["id"]
        text = note.value if note is not None else ""
        approval = self.approval
        self._run(
            "close", lambda api: api.close_cash(session_id, note=text or None, approval=approval)
        )

    @work(thread=True, exclusive=True, group="cash-action", exit_on_error=False)
    def _run(self, action: str, fn: Any) -> None:
        try:
            result = self.reception.call_edge(fn)
        except ApiError as exc:
            self.post_message(ApiFailed(action, exc))
            return
        if action == "open":
            self.post_message(CashLoaded(result))
        elif action == "count":
            self.post_message(CashCounted(result))
        else:
            self.post_message(CashClosed(result))

    def on_cash_counted(self, message: CashCounted) -> None:
        self.query_one("#cash-result", Static).update(count_summary(message.result))

    def on_cash_closed(self, message: CashClosed) -> None:
        diff = message.summary.get("difference", "0.00")
        self.query_one("#cash-result", Static).update(
            f"Caja cerrada. Diferencia {fmt_soles(diff)}."
        )
        self.notify("Caja cerrada.", timeout=4)
        self.session = None
        self.approval = None
        self.query_one("#cash-state", Static).update("Caja cerrada.")

    def on_api_failed(self, message: ApiFailed) -> None:
        error = message.error
        if message.action == "close" and error.code in CASH_APPROVAL_CODES:
            self._ask_approval(error)
            return
        self.show_api_error(error)

    def _ask_approval(self, error: ApiError) -> None:
        def done(credentials: tuple[str, str] | None) -> None:
            self.approval = credentials
            if credentials is None:
                self.query_one(".form-error", Static).update(
                    "Caja sin cerrar: la diferencia necesita la aprobación de un supervisor (F9)."
                )
                return
            self.action_close_cash()

        previous = self.approval[0] if self.approval else ""
        why = error.msg if error.code in FIRST_ASK else "Aprobación de la diferencia de caja."
        self.app.push_screen(ApprovalDialog(error, username=previous, why=why), done)

    def action_back(self) -> None:
        self.app.pop_screen()
