"""What the sale's payment screen and the balance screen share: the split-payment rows, the
running "paid / left" line, collecting the rows for the request, registering then issuing the
document, the receipt's lines and the ticket."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from textual.widget import Widget
from textual.widgets import Input, Static

from domain.errors import InvalidInput
from domain.money import fmt_soles
from domain.physician import Priority
from tui.api import ApiError, EdgeApi, Invoice, Order
from tui.messages import ApiFailed, OrderPlaced
from tui.screens.base import ReceptionScreen
from tui.widgets.payment_row import PaymentRow, amount_of


def document_for(api: EdgeApi, order: Order, customer: Any) -> Invoice | None:
    sales = [i for i in api.invoices_of(order["id"]) if i.get("doc_type") in ("01", "03")]
    if sales:
        return sales[0]
    if Decimal(order.get("balance", "0")) > 0:
        return None  # pay later: the document comes with the last payment
    if order.get("document_type") == "01" and customer:
        return api.issue_invoice(order["id"], customer)
    return api.issue_receipt(order["id"])


def deliver_ticket(api: EdgeApi, invoice_id: str, folder: Path, *, save: bool) -> Path | None:
    """Send the ticket to the node's printer, or save its PDF in ``folder`` (returned)."""
    if not save and api.has_print_endpoint():
        api.print_ticket(invoice_id)
        return None
    name, pdf = api.ticket_pdf(invoice_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(name).name
    path.write_bytes(pdf)
    return path


class PaymentRowsScreen(ReceptionScreen):
    """A screen with ``ROWS`` :class:`PaymentRow` rows, a ``#pay-balance`` line, a
    ``.form-error`` and a ``#receipt``; subclasses say what is ``due`` and how the line reads."""

    SHOWN: ClassVar[bool] = False  # a base of the two payment screens, never on screen itself
    ROWS: ClassVar[int] = 2
    PAID_LABEL: ClassVar[str] = "Pagado"
    LEFT_LABEL: ClassVar[str] = "Saldo"
    FIELD_ALIASES: ClassVar[dict[str, str]] = {"tendered": "extra", "reference": "extra"}

    @property
    def due(self) -> Decimal:
        raise NotImplementedError

    def payment_block(
        self, summary: str, section: str, detail: str | None = None
    ) -> Iterable[Widget]:
        """The summary line (and a ``detail`` line under it), the rows (the first proposes
        what is due), the running line, the error line and the receipt."""
        yield Static(summary, id="pay-total")
        if detail:
            yield Static(detail, id="pay-detail")
        yield Static(section, classes="section")
        for i in range(self.ROWS):
            yield PaymentRow(i, amount=f"{self.due:.2f}" if i == 0 else "")
        yield Static("", id="pay-balance")
        yield Static("", classes="form-error")
        yield Static("", id="receipt")

    def register_with_document(
        self, action: str, register: Callable[[EdgeApi], Order], customer: Callable[[Order], Any]
    ) -> None:
        """Two steps, each retried on its own while the node is away (call from a worker):
        retrying the document must never send the order or payment again (that would charge
        twice). Posts :class:`OrderPlaced`, and :class:`ApiFailed` for a step that failed."""
        try:
            order = self.reception.call_edge(register)
        except ApiError as exc:
            self.post_message(ApiFailed(action, exc))
            return
        try:
            invoice = self.reception.call_edge(
                lambda api: document_for(api, order, customer(order))
            )
        except ApiError as exc:
            self.post_message(OrderPlaced(order, None))
            self.post_message(ApiFailed("document", exc))
            return
        self.post_message(OrderPlaced(order, invoice))

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
        left = self.due - paid
        shown = max(left, Decimal("0"))
        text = f"{self.PAID_LABEL} {fmt_soles(paid)}   {self.LEFT_LABEL} {fmt_soles(shown)}"
        if left < 0:
            text += f"   (excede en {fmt_soles(-left)})"
        self.query_one("#pay-balance", Static).update(text)

    def payments(self) -> list[dict[str, Any]] | None:
        """The rows as the request's ``payments`` (unused rows left out), or None after
        marking the fields in error."""
        ok = self.validate_fields([f"payments.{i}.amount" for i in range(self.ROWS)])
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
        return rows if ok else None


def ordered_by(priority: str | None, cmp: str | None, name: str | None) -> str | None:
    """What reception took from the medical order, worded as the ticket prints it
    ("URGENTE", "Médico: NAME (CMP 45123)", or both), or None when it is routine without one."""
    parts = ["URGENTE"] if priority == Priority.URGENTE else []
    if name:
        parts.append(f"Médico: {name}" + (f" (CMP {cmp})" if cmp else ""))
    return " · ".join(parts) or None


def receipt_lines(order: Order, invoice: Invoice | None, *, keys: str) -> list[str]:
    """The change to hand back and the document issued (``keys``: how to print it)."""
    lines: list[str] = []
    if Decimal(order.get("change", "0") or "0") > 0:
        lines.append(f"VUELTO: {fmt_soles(order['change'])}")
    if invoice is not None:
        kind = "Factura" if invoice.get("doc_type") == "01" else "Boleta"
        lines.append(f"{kind} {invoice['full_number']} emitida. {keys}")
    return lines
