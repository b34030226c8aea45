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
from textual.widgets import Static

from domain.money import fmt_soles
from tui.api import ApiError, Invoice, Order
from tui.messages import ApiFailed, OrderPlaced, TicketDone
from tui.screens.payment_rows import PaymentRowsScreen, deliver_ticket, receipt_lines

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


class BalanceScreen(PaymentRowsScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f9", "confirm", "Cobrar saldo"),
        Binding("f7", "print_ticket", "Imprimir"),
        Binding("escape", "back", "Volver"),
    ]
    ROWS = ROWS
    PAID_LABEL = "Pagado ahora"
    LEFT_LABEL = "Queda"

    def __init__(self, order: Order) -> None:
        super().__init__()
        self.order = order
        self.paid: Order | None = None
        self.invoice: Invoice | None = None

    @property
    def due(self) -> Decimal:
        return Decimal(self.order.get("balance", "0"))

    def compose_body(self) -> Iterable[Widget]:
        o = self.order
        with Vertical(id="payment"):
            yield from self.payment_block(
                f"Orden {o['number']}   Total {fmt_soles(o['total'])}   "
                f"Pagado {fmt_soles(o['paid_total'])}   "
                f"SALDO {fmt_soles(o['balance'])}",
                "Pagos del saldo:",
            )

    def action_confirm(self) -> None:
        if self.paid is not None:
            self.notify("El pago ya fue registrado.", severity="warning")
            return
        self.clear_errors()
        rows = self.payments()
        if rows == []:
            self.query_one(".form-error", Static).update("Ingrese el monto a cobrar.")
        elif rows is not None:
            self._pay(self.order["id"], rows)

    @work(thread=True, exclusive=True, group="pay-balance", exit_on_error=False)
    def _pay(self, order_id: str, payments: list[dict[str, Any]]) -> None:
        self.register_with_document(
            "pay", lambda api: api.pay_order(order_id, payments), customer_of
        )

    def on_order_placed(self, message: OrderPlaced) -> None:
        self.paid, self.invoice = message.order, message.invoice
        o = message.order
        lines = [f"Pago registrado en la orden {o['number']}. Saldo {fmt_soles(o['balance'])}."]
        lines += receipt_lines(o, message.invoice, keys="F7 imprimir.")
        if message.invoice is None and Decimal(o.get("balance", "0")) > 0:
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
