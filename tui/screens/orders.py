"""The day's orders (urgent ones say so): advance their status, cancel (with reason), reprint
the ticket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static

from domain.clock import LIMA, business_date
from domain.physician import Priority
from tui.api import ApiError, EdgeApi, Order
from tui.messages import ApiFailed, OrderChanged, OrdersLoaded, TicketDone
from tui.screens.base import ReceptionScreen
from tui.screens.payment_rows import deliver_ticket

STATUS_LABELS = {
    "registrada": "Registrada",
    "muestra_tomada": "Muestra tomada",
    "enviada_laboratorio": "En laboratorio",
    "resultados_listos": "Resultados listos",
    "entregada": "Entregada",
    "anulada": "ANULADA",
}
NEXT_STATUS = {
    "registrada": "muestra_tomada",
    "muestra_tomada": "enviada_laboratorio",
    "enviada_laboratorio": "resultados_listos",
    "resultados_listos": "entregada",
}


def lima_hour(instant: str) -> str:
    """``HH:MM`` in Lima of a timestamp the node sends in UTC (what the clock on the wall says)."""
    try:
        moment = dt.datetime.fromisoformat(instant)
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LIMA).strftime("%H:%M")


def _ticket(api: EdgeApi, order_id: str, folder: object) -> str:
    from pathlib import Path

    sales = [i for i in api.invoices_of(order_id) if i.get("doc_type") in ("01", "03")]
    if not sales:
        raise ApiError(404, "no_document", "La orden no tiene comprobante.")
    path = deliver_ticket(api, sales[0]["id"], Path(str(folder)), save=False)
    return "Ticket enviado a la impresora." if path is None else f"Ticket guardado: {path}"


class OrdersScreen(ReceptionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        # F5 stays out of the footer so the rest fits 80 columns (the title mentions it).
        Binding("f5", "reload", "Actualizar", show=False),
        Binding("f4", "labels", "Etiquetas"),
        Binding("f6", "advance", "Avanzar"),
        Binding("f7", "print_ticket", "Ticket"),
        Binding("f8", "cancel_order", "Anular"),
        Binding("f9", "pay_balance", "Cobrar saldo"),
        Binding("escape", "back", "Volver"),
    ]

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="orders"):
            yield Static("", id="orders-title", classes="section")
            table: DataTable[str] = DataTable(id="orders-table", cursor_type="row")
            table.add_columns("Número", "Hora", "Estado", "Total", "Pagado", "Saldo", "Prioridad")
            yield table
            yield Static("", classes="form-error")

    def on_mount(self) -> None:
        self.orders: dict[str, Order] = {}
        self.action_reload()
        self.query_one("#orders-table", DataTable).focus()

    @property
    def day(self) -> str:
        return business_date(self.reception.clock.now()).isoformat()

    def action_reload(self) -> None:
        self._load(self.day)

    @work(thread=True, exclusive=True, group="orders", exit_on_error=False)
    def _load(self, day: str) -> None:
        try:
            orders = self.reception.call_edge(lambda api: api.list_orders(date=day))
        except ApiError as exc:
            self.post_message(ApiFailed("load", exc))
            return
        self.post_message(OrdersLoaded(orders))

    def on_orders_loaded(self, message: OrdersLoaded) -> None:
        table = self.query_one("#orders-table", DataTable)
        selected = self.selected()
        table.clear()
        self.orders = {o["id"]: o for o in message.orders}
        for o in message.orders:
            hour = lima_hour(o.get("created_at", ""))
            table.add_row(
                o["number"],
                hour,
                STATUS_LABELS.get(o["status"], o["status"]),
                o["total"],
                o["paid_total"],
                o["balance"],
                "URGENTE" if o.get("priority") == Priority.URGENTE else "",
                key=o["id"],
            )
        self.query_one("#orders-title", Static).update(
            f"Órdenes del {self.day}: {len(message.orders)}   (F5 actualizar)"
        )
        if selected is not None and selected["id"] in self.orders:
            table.move_cursor(row=table.get_row_index(selected["id"]))

    def selected(self) -> Order | None:
        table = self.query_one("#orders-table", DataTable)
        if not table.row_count or not getattr(self, "orders", None):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.orders.get(str(key))

    def action_advance(self) -> None:
        order = self.selected()
        if order is None:
            return
        target = NEXT_STATUS.get(order["status"])
        if target is None:
            self.notify("Esta orden ya no avanza de estado.", severity="warning")
            return
        self._change(order["id"], target, None)

    def action_cancel_order(self) -> None:
        from tui.screens.reason import ReasonDialog

        order = self.selected()
        if order is None:
            return

        def done(reason: str | None) -> None:
            if reason:
                self._change(order["id"], "anulada", reason)

        self.app.push_screen(ReasonDialog(f"Anular la orden {order['number']}"), done)

    @work(thread=True, exclusive=True, group="order-change", exit_on_error=False)
    def _change(self, order_id: str, target: str, reason: str | None) -> None:
        try:
            if target == "anulada":
                assert reason is not None
                self.reception.call_edge(lambda api: api.cancel_order(order_id, reason))
                detail = "Orden anulada."
            else:
                self.reception.call_edge(lambda api: api.set_status(order_id, target))
                detail = f"Orden pasada a «{STATUS_LABELS[target]}»."
        except ApiError as exc:
            self.post_message(ApiFailed("change", exc))
            return
        self.post_message(OrderChanged(order_id, detail))

    def on_order_changed(self, message: OrderChanged) -> None:
        self.notify(message.detail, timeout=4)
        self.action_reload()

    def action_print_ticket(self) -> None:
        order = self.selected()
        if order is not None:
            self._print(order["id"], str(self.reception.settings.download_dir))

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def _print(self, order_id: str, folder: str) -> None:
        try:
            detail = self.reception.call_edge(lambda api: _ticket(api, order_id, folder))
        except ApiError as exc:
            self.post_message(ApiFailed("ticket", exc))
            return
        self.post_message(TicketDone(None, detail))

    def on_ticket_done(self, message: TicketDone) -> None:
        self.notify(message.detail, timeout=6)

    def action_pay_balance(self) -> None:
        from tui.screens.balance import BalanceScreen

        order = self.selected()
        if order is None:
            return
        if order["status"] == "anulada" or Decimal(order.get("balance", "0")) <= 0:
            self.notify("Esta orden no tiene saldo por cobrar.", severity="warning")
            return
        self.app.push_screen(BalanceScreen(order), lambda _paid: self.action_reload())

    def action_labels(self) -> None:
        order = self.selected()
        if order is not None:
            self._labels(order, None)

    @work(thread=True, exclusive=True, group="labels", exit_on_error=False)
    def _labels(self, order: Order, reason: str | None) -> None:
        folder = self.reception.settings.download_dir
        try:
            name, pdf = self.reception.call_edge(
                lambda api: api.labels_pdf(order["id"], reason=reason)
            )
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / Path(name).name
            path.write_bytes(pdf)
        except ApiError as exc:
            if exc.code == "reprint_reason_required" and reason is None:
                self.app.call_from_thread(self._ask_reprint_reason, order)
                return
            self.post_message(ApiFailed("labels", exc))
            return
        except OSError as exc:
            error = ApiError(0, "save_failed", f"No se pudo guardar el PDF: {exc.strerror}.")
            self.post_message(ApiFailed("labels", error))
            return
        self.post_message(TicketDone(path, f"Etiquetas guardadas: {path}"))

    def _ask_reprint_reason(self, order: Order) -> None:
        from tui.screens.reason import ReasonDialog

        def done(reason: str | None) -> None:
            if reason:
                self._labels(order, reason)

        title = f"Reimprimir etiquetas de {order['number']}: ¿por qué?"
        self.app.push_screen(ReasonDialog(title), done)

    def on_api_failed(self, message: ApiFailed) -> None:
        self.notify(message.error.msg, severity="error", timeout=8)

    def action_back(self) -> None:
        self.app.pop_screen()
