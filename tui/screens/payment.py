"""Payment: split between methods, confirm (order + boleta/factura), then print or save."""

from __future__ import annotations

import datetime as dt
import uuid
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
from domain.results_promise import format_promise
from tui.api import ApiError, Invoice, Order
from tui.draft import OrderDraft
from tui.messages import ApiFailed, OrderPlaced, TicketDone
from tui.screens.approval import APPROVAL_CODES, ApprovalDialog
from tui.screens.payment_rows import (
    PaymentRowsScreen,
    deliver_ticket,
    document_for,
    ordered_by,
    receipt_lines,
)
from tui.widgets.field import FieldWithError

ROWS = 3
ORDER_FIELDS = ("discount", "customer", "items", "patient_id", "document_type", "priority",
                "physician_cmp", "physician_name")  # fmt: skip


class PaymentScreen(PaymentRowsScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f9", "confirm", "Cobrar"),
        Binding("f7", "print_ticket", "Imprimir"),
        Binding("f8", "save_ticket", "PDF"),
        Binding("f2", "next_patient", "Siguiente"),
        Binding("escape", "back", "Volver"),
    ]
    ROWS = ROWS

    def __init__(self, draft: OrderDraft) -> None:
        super().__init__()
        self.draft = draft
        self.order: Order | None = None
        # One Idempotency-Key per sale, kept across every retry and confirmation of it.
        self.sale_key = uuid.uuid4().hex
        self.invoice: Invoice | None = None

    @property
    def due(self) -> Decimal:
        return self.draft.total

    def compose_body(self) -> Iterable[Widget]:
        d = self.draft
        with Vertical(id="payment"):
            yield from self.payment_block(
                f"Paciente: {d.patient['full_name']}   Ítems: {len(d.services)}   "
                f"TOTAL A COBRAR {fmt_soles(d.total)}",
                "Pagos (puede dividir entre medios):",
                ordered_by(d.priority, d.physician_cmp, d.physician_name),
            )
            yield FieldWithError(
                "Carpeta PDF", "folder", value=str(self.reception.settings.download_dir)
            )

    # ---------------------------------------------------------------------------- confirm
    def action_confirm(self) -> None:
        if self.order is not None:
            self.notify("La orden ya fue registrada.", severity="warning")
            return
        self.clear_errors()
        payments = self.payments()
        if payments is None:
            return
        self._place(self.draft.body(payments))

    @work(thread=True, exclusive=True, group="place-order", exit_on_error=False)
    def _place(self, body: dict[str, Any]) -> None:
        self.register_with_document(
            "place",
            lambda api: api.create_order(body, key=self.sale_key),
            lambda _order: body.get("customer"),
        )

    def on_order_placed(self, message: OrderPlaced) -> None:
        if self.order is None:
            self.reception.forget_draft()  # registered: a saved copy is no longer a sale
        self.order, self.invoice = message.order, message.invoice
        o = message.order
        lines = [f"Orden {o['number']} registrada. Total {fmt_soles(o['total'])}."]
        asked = ordered_by(o.get("priority"), o.get("physician_cmp"), o.get("physician_name"))
        if asked:  # as the node keeps it
            lines.append(asked)
        promised = o.get("results_promised_at")
        if promised:  # what the patient asks: as the ticket prints it
            at = dt.datetime.fromisoformat(promised.replace("Z", "+00:00"))
            lines.append(f"Entrega de resultados: {format_promise(at)}")
        lines += receipt_lines(o, message.invoice, keys="F7 imprimir, F8 guardar PDF.")
        if message.invoice is None and Decimal(o.get("balance", "0")) > 0:
            lines.append(
                f"Saldo pendiente {fmt_soles(o['balance'])}: el comprobante sale al pagar."
            )
        elif message.invoice is None:
            lines.append("Comprobante aún no emitido: F7 lo emite e imprime, F8 guarda su PDF.")
        self.query_one("#receipt", Static).update("\n".join(lines))

    def on_api_failed(self, message: ApiFailed) -> None:
        error = message.error
        if error.code == "idempotency_key_reused":
            # the first confirmation was registered (its answer lost) and the payments changed
            self.sale_key = uuid.uuid4().hex
            self.notify(
                "La venta anterior ya quedó registrada (se perdió la respuesta del servidor)."
                " Revísela en Órdenes antes de cobrar de nuevo.",
                severity="error",
                timeout=15,
            )
            return
        if message.action == "place" and error.code in APPROVAL_CODES:
            self._ask_approval(error)
            return
        head = next((str(p) for p in error.loc if p != "body"), "")
        if message.action == "place" and head in ORDER_FIELDS:
            self.dismiss(error)  # the order screen shows it next to its field
            return
        self.show_api_error(error)

    def _ask_approval(self, error: ApiError) -> None:
        """A supervisor types their credentials here; the sale is sent again with them."""

        def done(credentials: tuple[str, str] | None) -> None:
            if credentials is None:
                self.draft.approver = None
                self.query_one(".form-error", Static).update(
                    "Descuento sin aprobar: pida la aprobación (F9) o vuelva (Esc) y quítelo."
                )
                return
            self.draft.approver = credentials
            self.action_confirm()

        previous = self.draft.approver[0] if self.draft.approver else ""
        self.app.push_screen(ApprovalDialog(error, username=previous), done)

    # ----------------------------------------------------------------------------- ticket
    def action_print_ticket(self) -> None:
        self._ticket(save=False)

    def action_save_ticket(self) -> None:
        self._ticket(save=True)

    def _ticket(self, *, save: bool) -> None:
        order = self.order
        paid = order is not None and Decimal(order.get("balance", "0")) <= 0
        if self.invoice is None and not paid:
            self.notify("Aún no hay comprobante que imprimir.", severity="warning")
            return
        folder = self.field("folder")
        assert folder is not None
        invoice_id = self.invoice["id"] if self.invoice is not None else None
        self._deliver(invoice_id, Path(folder.value).expanduser(), save)

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def _deliver(self, invoice_id: str | None, folder: Path, save: bool) -> None:
        try:
            if invoice_id is None:  # paid, but the document did not come out at the sale
                order, customer = self.order, self.draft.customer
                assert order is not None
                invoice = self.reception.call_edge(lambda api: document_for(api, order, customer))
                if invoice is None:
                    raise ApiError(409, "no_document", "La orden aún no tiene comprobante.")
                self.post_message(OrderPlaced(order, invoice))
                invoice_id = invoice["id"]
            found = invoice_id
            path = self.reception.call_edge(
                lambda api: deliver_ticket(api, found, folder, save=save)
            )
        except ApiError as exc:
            self.post_message(ApiFailed("ticket", exc))
            return
        except OSError as exc:
            error = ApiError(0, "save_failed", f"No se pudo guardar el PDF: {exc.strerror}.")
            error.loc = ["folder"]
            self.post_message(ApiFailed("ticket", error))
            return
        detail = "Ticket enviado a la impresora." if path is None else f"Ticket guardado: {path}"
        self.post_message(TicketDone(path, detail))

    def on_ticket_done(self, message: TicketDone) -> None:
        self.notify(message.detail, timeout=6)
        self.query_one("#receipt", Static).update(
            f"{self.query_one('#receipt', Static).content}\n{message.detail}"
        )

    # ------------------------------------------------------------------------ navigation
    def action_back(self) -> None:
        if self.order is None:
            self.dismiss(None)
        else:
            self.reception.go_home()

    def action_next_patient(self) -> None:
        if self.order is None:
            self.notify("Confirme el cobro primero (F9).", severity="warning")
            return
        self.reception.go_home()
        self.reception.open_screen("patients")
