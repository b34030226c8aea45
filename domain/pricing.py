"""Pricing rules of a sale at the counter: panels, discounts, convenio coverage, payments.

Pure Decimal arithmetic, no I/O. Amounts are soles with 2 decimals, IGV included (the price on
the counter's list). Rounding is ROUND_HALF_UP at the points documented on each function.

An order is priced as follows:

* every *priced line* is a test sold on its own or a panel; a panel's tests ride along at 0
  (``panel_child_price``) so the patient pays the panel's price, never the sum of its tests;
* a line's unit price is the convenio's price for that service when the convenio lists one,
  else the public list price (``unit_price_for``);
* ``subtotal`` is the sum of the priced lines; the order-level discount (percent or amount) is
  ``discount_amount`` and is allocated over the lines by largest remainder (``allocate``) so
  the lines' discounts add up to it exactly;
* ``total = subtotal - discount``; the convenio covers ``q2(eligible × coverage %)`` of it,
  where *eligible* is every line when the convenio has no price list, or the lines priced
  from its list when it has one (``coverage_split``); that part is "por cobrar";
* ``balance = total - covered - paid``, exactly, and never negative (``balance``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.errors import InvalidInput, RuleViolation
from domain.money import CENT, ZERO, fmt_soles, q2

HUNDRED = Decimal("100")
DEFAULT_APPROVAL_THRESHOLD_PCT = Decimal("10")
"""Discounts above this percentage of the subtotal need a supervisor (Setting
``discount_approval_threshold_pct`` overrides it)."""


class DiscountKind(StrEnum):
    PERCENT = "percent"
    AMOUNT = "amount"


class PaymentMethod(StrEnum):
    EFECTIVO = "efectivo"
    TARJETA = "tarjeta"
    YAPE = "yape"
    PLIN = "plin"
    TRANSFERENCIA = "transferencia"


@dataclass(frozen=True, slots=True)
class Discount:
    kind: DiscountKind
    value: Decimal


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One line the patient is charged for (a test on its own, or a panel)."""

    unit_price: Decimal
    eligible: bool = True
    """Counts towards the convenio's coverage."""


@dataclass(frozen=True, slots=True)
class OrderTotals:
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    covered_total: Decimal
    line_discounts: tuple[Decimal, ...]

    @property
    def patient_due(self) -> Decimal:
        """What the patient owes before any payment: ``total - covered``."""
        return self.total - self.covered_total


def parse_pct(value: Decimal, *, loc: Sequence[str | int] = ("porcentaje",)) -> Decimal:
    """A percentage between 0 and 100 with at most 2 decimals."""
    if not isinstance(value, Decimal) or not value.is_finite() or value != q2(value):
        raise InvalidInput(
            "El porcentaje debe tener como máximo 2 decimales.", code="pct_invalid", loc=loc
        )
    if value < 0 or value > HUNDRED:
        raise InvalidInput(
            "El porcentaje debe estar entre 0 y 100.", code="pct_out_of_range", loc=loc
        )
    return value


def unit_price_for(
    service_id: str, list_price: Decimal, convenio_prices: dict[str, Decimal] | None
) -> tuple[Decimal, bool]:
    """``(unit price, from the convenio's list)`` of a priced line."""
    if convenio_prices and service_id in convenio_prices:
        return convenio_prices[service_id], True
    return list_price, False


def panel_child_price() -> Decimal:
    """A test inside a panel is charged through the panel: its own line is at 0."""
    return ZERO


def discount_amount(
    subtotal: Decimal, discount: Discount, *, loc: Sequence[str | int] = ("descuento",)
) -> Decimal:
    """The amount a discount takes off ``subtotal``; never more than the subtotal.

    Percent: ``q2(subtotal × value / 100)``, value in (0, 100]. Amount: value in (0, subtotal].
    """
    value = discount.value
    if not isinstance(value, Decimal) or not value.is_finite() or value != q2(value):
        raise InvalidInput(
            "El descuento debe tener como máximo 2 decimales.",
            code="discount_invalid",
            loc=[*loc, "value"],
        )
    if value <= 0:
        raise InvalidInput(
            "El descuento debe ser mayor que cero.",
            code="discount_not_positive",
            loc=[*loc, "value"],
        )
    if discount.kind is DiscountKind.PERCENT:
        if value > HUNDRED:
            raise InvalidInput(
                "El porcentaje de descuento no puede superar 100.",
                code="discount_exceeds_total",
                loc=[*loc, "value"],
            )
        return q2(subtotal * value / HUNDRED)
    if value > subtotal:
        raise RuleViolation(
            f"El descuento ({fmt_soles(value)}) supera el importe de la orden"
            f" ({fmt_soles(subtotal)}).",
            code="discount_exceeds_total",
            loc=[*loc, "value"],
        )
    return value


def effective_pct(subtotal: Decimal, amount: Decimal) -> Decimal:
    """A discount amount as a percentage of the subtotal (2 decimals, half up)."""
    if subtotal <= 0:
        return ZERO if amount <= 0 else HUNDRED
    return (amount * HUNDRED / subtotal).quantize(CENT, rounding=ROUND_HALF_UP)


def needs_approval(
    subtotal: Decimal, discount: Discount, amount: Decimal, threshold_pct: Decimal
) -> bool:
    """True when the discount is above the threshold (a percentage of the subtotal)."""
    if discount.kind is DiscountKind.PERCENT:
        return discount.value > threshold_pct
    return amount * HUNDRED > threshold_pct * subtotal


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """Split ``amount`` over ``weights`` in proportion, by largest remainder, in céntimos.

    The parts add up to ``amount`` exactly and none exceeds its weight (``amount`` must not
    exceed the sum of the weights).
    """
    total = sum(weights, ZERO)
    if amount < 0 or amount > total:
        raise ValueError("amount must be between 0 and the sum of the weights")
    if amount == 0 or total == 0:
        return tuple(ZERO for _ in weights)
    exact = [w * amount / total for w in weights]
    parts = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((amount - sum(parts, ZERO)) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order:
        if left <= 0:
            break
        if parts[i] + CENT <= weights[i]:
            parts[i] += CENT
            left -= 1
    return tuple(parts)


def coverage_split(eligible: Decimal, coverage_pct: Decimal) -> Decimal:
    """The convenio's part of the eligible amount: ``q2(eligible × pct / 100)``."""
    pct = parse_pct(coverage_pct, loc=["convenio", "coverage_pct"])
    return q2(eligible * pct / HUNDRED)


def price_order(
    lines: Sequence[PricedLine],
    *,
    discount: Discount | None = None,
    coverage_pct: Decimal = ZERO,
    discount_loc: Sequence[str | int] = ("descuento",),
) -> OrderTotals:
    """Subtotal, discount, total and the convenio's covered part of an order."""
    subtotal = sum((line.unit_price for line in lines), ZERO)
    disc = discount_amount(subtotal, discount, loc=discount_loc) if discount else ZERO
    line_discounts = allocate(disc, [line.unit_price for line in lines])
    eligible = sum(
        (
            line.unit_price - d
            for line, d in zip(lines, line_discounts, strict=True)
            if line.eligible
        ),
        ZERO,
    )
    covered = coverage_split(eligible, coverage_pct) if coverage_pct else ZERO
    return OrderTotals(subtotal, disc, subtotal - disc, covered, line_discounts)


def balance(total: Decimal, covered: Decimal, paid: Decimal) -> Decimal:
    """``total - covered - paid``; a negative balance (overpayment) is refused."""
    result = total - covered - paid
    if result < 0:
        raise RuleViolation(
            f"El pago excede el saldo de la orden en {fmt_soles(-result)}.",
            code="overpayment",
            loc=["payments"],
        )
    return result


def check_cash_threshold(
    cash_amount: Decimal, threshold: Decimal, *, loc: Sequence[str | int] = ("payments",)
) -> None:
    """Bancarización (DL 1529): cash of ``threshold`` or more in one operation is refused."""
    if cash_amount >= threshold:
        raise RuleViolation(
            f"Por bancarización, operaciones de {fmt_soles(threshold)} o más no pueden pagarse en"
            f" efectivo (se intentó {fmt_soles(cash_amount)}). Use tarjeta, Yape, Plin o"
            " transferencia.",
            code="bancarizacion",
            loc=loc,
        )


def cash_change(
    amount: Decimal, tendered: Decimal | None, *, loc: Sequence[str | int] = ("tendered",)
) -> Decimal:
    """Change to hand back for a cash payment; ``tendered`` below ``amount`` is refused."""
    if tendered is None:
        return ZERO
    if tendered < amount:
        raise RuleViolation(
            f"El efectivo recibido ({fmt_soles(tendered)}) es menor que el monto a cobrar"
            f" ({fmt_soles(amount)}).",
            code="tendered_insufficient",
            loc=loc,
        )
    return tendered - amount


__all__ = [
    "DEFAULT_APPROVAL_THRESHOLD_PCT",
    "Discount",
    "DiscountKind",
    "OrderTotals",
    "PaymentMethod",
    "PricedLine",
    "allocate",
    "balance",
    "cash_change",
    "check_cash_threshold",
    "coverage_split",
    "discount_amount",
    "effective_pct",
    "needs_approval",
    "panel_child_price",
    "parse_pct",
    "price_order",
    "unit_price_for",
]
