"""Pay the balance of an order registered earlier (the document comes with the last payment)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from domain.errors import InvalidInput
from tui.api import ApiError, Invoice, Order
from tui.messages import ApiFailed, OrderPlaced, TicketDone
from tui.screens.base import ReceptionScreen
from tui.screens.payment import deliver_ticket, document_for
from tui.widgets.payment_row import PaymentRow, amount_of

ROWS = 2


def customer_of(order: Order) -> dict[str, str] | None:
    """The factura's customer kept on the order (None for a boleta)."""
    number = order.get("customer_doc_number")
    if order.get("document_type") != "01" or not number:
        return None
    return {
        "doc_type": order.get("customer_doc_type") or "6",
        "doc_number": number,
        "name": order.get("customer_name") or "",
    }


class BalanceScreen(ReceptionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f9", "confirm", "Cobrar saldo"),
        Binding("f7", "print_ticket", "Imprimir"),
        Binding("escape", "back", "Volver"),
    ]
    FIELD_ALIASES: ClassVar[dict[str, str]] = {"tendered": "extra", "reference": "extra"}

    def __init__(self, order: Order) -> None:
        super().__init__()
        self.order = order
        self.paid: Order | None = None
        self.invoice: Invoice | None = None

    @property
    def balance(self) -> Decimal:
        return Decimal(self.order.get("balance", "0"))

    def compose_body(self) -> Iterable[Widget]:
        o = self.order
        with Vertical(id="payment"):
            yield Static(
                f"Orden {o['number']}   Total S/ {o['total']}   Pagado S/ {o['paid_total']}   "
                f"SALDO S/ {o['balance']}",
                id="pay-total",
            )
            yield Static("Pagos del saldo:", classes="section")
            for i in range(ROWS):
                yield PaymentRow(i, amount=f"{self.balance:.2f}" if i == 0 else "")
            yield Static("", id="pay-balance")
            yield Static("", classes="form-error")
            yield Static("", id="receipt")

    def on_mount(self) -> None:
        self._render_balance()
        self.query_one("#f-payments-0-amount-input", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._render_balance()

    def _render_balance(self) -> None:
        paid = Decimal("0.00")
        for row in self.query(PaymentRow):
            try:
                paid += amount_of(row.amount_field().value)
            except InvalidInput:
                pass
        left = self.balance - paid
        text = f"Pagado ahora S/ {paid:.2f}   Queda S/ {max(left, Decimal('0')):.2f}"
        if left < 0:
            text += f"   (excede en S/ {-left:.2f})"
        self.query_one("#pay-balance", Static).update(text)

    def action_confirm(self) -> None:
        if self.paid is not None:
            self.notify("El pago ya fue registrado.", severity="warning")
            return
        self.clear_errors()
        ok = self.validate_fields([f"payments.{i}.amount" for i in range(ROWS)])
        rows: list[dict[str, Any]] = []
        for row in self.query(PaymentRow):
            try:
                body = row.payload()
            except InvalidInput as exc:
                row.extra_field().set_error(exc.msg)
                ok = False
                continue
            if body is not None:
                rows.append(body)
        if ok and not rows:
            self.query_one(".form-error", Static).update("Ingrese el monto a cobrar.")
            ok = False
        if ok:
            self._pay(self.order["id"], rows)

    @work(thread=True, exclusive=True, group="pay-balance", exit_on_error=False)
    def _pay(self, order_id: str, payments: list[dict[str, Any]]) -> None:
        try:
            order = self.reception.call_edge(lambda api: api.pay_order(order_id, payments))
        except ApiError as exc:
            self.post_message(ApiFailed("pay", exc))
            return
        try:
            invoice = self.reception.call_edge(
                lambda api: document_for(api, order, customer_of(order))
            )
        except ApiError as exc:
            self.post_message(OrderPlaced(order, None))
            self.post_message(ApiFailed("document", exc))
            return
        self.post_message(OrderPlaced(order, invoice))

    def on_order_placed(self, message: OrderPlaced) -> None:
        self.paid, self.invoice = message.order, message.invoice
        o = message.order
        lines = [f"Pago registrado en la orden {o['number']}. Saldo S/ {o['balance']}."]
        if Decimal(o.get("change", "0") or "0") > 0:
            lines.append(f"VUELTO: S/ {o['change']}")
        if message.invoice is not None:
            inv = message.invoice
            kind = "Factura" if inv.get("doc_type") == "01" else "Boleta"
            lines.append(f"{kind} {inv['full_number']} emitida. F7 imprimir.")
        elif Decimal(o.get("balance", "0")) > 0:
            lines.append("Aún queda saldo: el comprobante sale al pagarlo todo.")
        self.query_one("#receipt", Static).update("\n".join(lines))

    def on_api_failed(self, message: ApiFailed) -> None:
        self.show_api_error(message.error)

    def action_print_ticket(self) -> None:
        if self.invoice is None:
            self.notify("Aún no hay comprobante que imprimir.", severity="warning")
            return
        self._deliver(self.invoice["id"], self.reception.settings.download_dir)

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def _deliver(self, invoice_id: str, folder: Path) -> None:
        try:
            path = self.reception.call_edge(
                lambda api: deliver_ticket(api, invoice_id, folder, save=False)
            )
        except ApiError as exc:
            self.post_message(ApiFailed("ticket", exc))
            return
        except OSError as exc:
            error = ApiError(0, "save_failed", f"No se pudo guardar el PDF: {exc.strerror}.")
            self.post_message(ApiFailed("ticket", error))
            return
        detail = "Ticket enviado a la impresora." if path is None else f"Ticket guardado: {path}"
        self.post_message(TicketDone(path, detail))

    def on_ticket_done(self, message: TicketDone) -> None:
        self.notify(message.detail, timeout=6)

    def action_back(self) -> None:
        self.dismiss(self.paid is not None)
