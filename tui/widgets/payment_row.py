"""One line of a split payment: method, amount, and cash tendered or the operation reference."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Select

from domain.cash import METHOD_LABELS
from domain.cash import METHODS as CASH_METHODS
from domain.errors import InvalidInput
from domain.money import parse_amount
from domain.payment_reference import check_payment_reference
from tui.widgets.field import FieldWithError

METHODS: list[tuple[str, str]] = [(METHOD_LABELS[m], m) for m in CASH_METHODS]


def check_amount(text: str) -> str | None:
    """Spanish message when ``text`` is not a money amount (empty is allowed: unused row)."""
    if not text:
        return None
    try:
        parse_amount(text.replace(",", "."), field="monto")
    except InvalidInput as exc:
        return exc.msg
    return None


def amount_of(text: str) -> Decimal:
    return parse_amount(text.replace(",", "."), field="monto") if text else Decimal("0.00")


class PaymentRow(Horizontal):
    """Row ``index`` maps to ``payments[index]`` of the order request (and its errors)."""

    DEFAULT_CSS = """
    PaymentRow { height: auto; }
    PaymentRow Select { width: 18; }
    """

    def __init__(self, index: int, *, method: str = "efectivo", amount: str = "") -> None:
        super().__init__(id=f"payment-{index}")
        self.index = index
        self._method = method
        self._amount = amount

    def compose(self) -> ComposeResult:
        yield Select(
            METHODS, value=self._method, allow_blank=False, compact=True, id=f"method-{self.index}"
        )
        yield FieldWithError(
            "Monto", f"payments.{self.index}.amount", value=self._amount, check=check_amount
        )
        yield FieldWithError(
            "Entrega/Ref.",
            f"payments.{self.index}.extra",
            placeholder="recibido / N° op.",
        )

    @property
    def method(self) -> str:
        return str(self.query_one(Select).value)

    def amount_field(self) -> FieldWithError:
        return self.query_one(f"#f-payments-{self.index}-amount", FieldWithError)

    def extra_field(self) -> FieldWithError:
        return self.query_one(f"#f-payments-{self.index}-extra", FieldWithError)

    def payload(self) -> dict[str, Any] | None:
        """The ``PaymentIn`` of this row, or None when its amount is empty."""
        amount = self.amount_field().value
        if not amount:
            return None
        body: dict[str, Any] = {"method": self.method, "amount": f"{amount_of(amount):.2f}"}
        extra = self.extra_field().value
        if self.method == "efectivo":
            if extra:
                body["tendered"] = f"{amount_of(extra):.2f}"
            return body
        # Card, Yape, Plin and transfers carry their operation number (checked at closing).
        reference = check_payment_reference(self.method, extra, loc=["extra"])
        if reference is not None:
            body["reference"] = reference
        return body
