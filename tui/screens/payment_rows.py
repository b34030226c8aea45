"""What the sale's payment screen and the balance screen share: the split-payment rows, the
running "paid / left" line, collecting the rows for the request and the receipt's lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from textual.widgets import Input, Static

from domain.errors import InvalidInput
from tui.api import Invoice, Order
from tui.screens.base import ReceptionScreen
from tui.widgets.payment_row import PaymentRow, amount_of


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
        text = f"{self.PAID_LABEL} S/ {paid:.2f}   {self.LEFT_LABEL} S/ {shown:.2f}"
        if left < 0:
            text += f"   (excede en S/ {-left:.2f})"
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


def receipt_lines(order: Order, invoice: Invoice | None, *, keys: str) -> list[str]:
    """The change to hand back and the document issued (``keys``: how to print it)."""
    lines: list[str] = []
    if Decimal(order.get("change", "0") or "0") > 0:
        lines.append(f"VUELTO: S/ {order['change']}")
    if invoice is not None:
        kind = "Factura" if invoice.get("doc_type") == "01" else "Boleta"
        lines.append(f"{kind} {invoice['full_number']} emitida. {keys}")
    return lines
