"""Cash-drawer arithmetic (caja): denominations, counted totals, expected vs counted.

Pure rules, no I/O. Amounts are ``Decimal`` soles; counts are whole pieces.

* PEN denominations: bills 200, 100, 50, 20, 10; coins 5, 2, 1, 0.50, 0.20, 0.10. A count maps
  each denomination (its canonical key is the 2-decimal string, ``"0.50"``) to a number of
  pieces; keys may be given as ``"200"``, ``"200.00"`` or ``"0.5"``.
* Expected cash = opening float + cash sales − cash refunds + ingresos − egresos (refunds are
  negative payments, so "sales + refunds" is the signed sum of the cash payments).
* The difference per method is ``counted − expected`` (negative: faltante, positive: sobrante).
  A close needs a supervisor when the sum of the absolute per-method differences is above the
  sede's threshold: a shortage in cash is not offset by a surplus on the card.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput
from domain.money import ZERO, fmt_soles, parse_amount, q2

BILLS: tuple[Decimal, ...] = tuple(
    Decimal(v) for v in ("200.00", "100.00", "50.00", "20.00", "10.00")
)
COINS: tuple[Decimal, ...] = tuple(
    Decimal(v) for v in ("5.00", "2.00", "1.00", "0.50", "0.20", "0.10")
)
DENOMINATIONS: tuple[Decimal, ...] = BILLS + COINS
"""Largest first."""

CASH = "efectivo"
NON_CASH_METHODS: tuple[str, ...] = ("tarjeta", "yape", "plin", "transferencia")
METHODS: tuple[str, ...] = (CASH, *NON_CASH_METHODS)
METHOD_LABELS: dict[str, str] = {
    "efectivo": "Efectivo",
    "tarjeta": "Tarjeta",
    "yape": "Yape",
    "plin": "Plin",
    "transferencia": "Transferencia",
    "convenio": "Convenio",
}
"""How each payment method is named on screens and in exports (``convenio``: the part of an
order a convenio covers, shown beside the methods in the hub's figures)."""


def method_label(method: str) -> str:
    """The Spanish name of ``method`` (the code itself when unknown)."""
    return METHOD_LABELS.get(method, method)


MAX_PIECES = 100_000
"""More pieces of one denomination than this is a typing error, not a drawer."""

MAX_AMOUNT = Decimal("1000000.00")
"""No float, movement, adjustment or declared total of one drawer reaches S/ 1,000,000."""


def check_amount(value: Decimal, *, loc: list[str | int]) -> Decimal:
    """Refuse amounts whose absolute value is above ``MAX_AMOUNT`` (a typing error)."""
    if abs(value) > MAX_AMOUNT:
        raise InvalidInput(
            f"El monto supera el máximo de una caja ({fmt_soles(MAX_AMOUNT)}).",
            code="amount_too_large",
            loc=loc,
        )
    return value


def denomination_key(value: Decimal) -> str:
    """Canonical key of a denomination: ``"200.00"``, ``"0.50"``."""
    return f"{value:.2f}"


def parse_denomination(key: object, *, loc: list[str | int] | None = None) -> Decimal:
    """A known PEN denomination from ``"200"``, ``"200.00"``, ``"0.5"`` ...; else InvalidInput."""
    where = loc or ["denominations", str(key)]
    try:  # the one amount parser: ASCII digits only ("1e2" and "٢٠٠" are not denominations)
        known = isinstance(key, str | int | Decimal)
        value = parse_amount(key, field="denominación") if known else None
    except InvalidInput:
        value = None
    if (
        isinstance(key, bool)
        or value is None
        or not value.is_finite()
        or value not in DENOMINATIONS
    ):
        allowed = ", ".join(denomination_key(d) for d in DENOMINATIONS)
        raise InvalidInput(
            f"«{key}» no es una denominación de soles; use una de: {allowed}.",
            code="denomination_unknown",
            loc=where,
        )
    return q2(value)


def parse_counts(counts: Mapping[str, object]) -> dict[str, int]:
    """Validate a denomination count; returns canonical keys (largest first), zero rows kept."""
    parsed: dict[Decimal, int] = {}
    for key, pieces in counts.items():
        denom = parse_denomination(key)
        loc: list[str | int] = ["denominations", str(key)]
        if isinstance(pieces, bool) or not isinstance(pieces, int):
            raise InvalidInput(
                "La cantidad de piezas debe ser un número entero.", code="pieces_invalid", loc=loc
            )
        if pieces < 0:
            raise InvalidInput(
                "La cantidad de piezas no puede ser negativa.", code="pieces_negative", loc=loc
            )
        if pieces > MAX_PIECES:
            raise InvalidInput(
                f"Demasiadas piezas (máximo {MAX_PIECES}).", code="pieces_too_many", loc=loc
            )
        if denom in parsed:
            raise InvalidInput(
                f"La denominación {denomination_key(denom)} aparece dos veces.",
                code="denomination_repeated",
                loc=loc,
            )
        parsed[denom] = pieces
    return {denomination_key(d): parsed[d] for d in DENOMINATIONS if d in parsed}


def count_total(counts: Mapping[str, int]) -> Decimal:
    """Sum of ``denomination × pieces`` of a (validated or raw) count."""
    total = ZERO
    for key, pieces in parse_counts(counts).items():
        total += Decimal(key) * pieces
    return q2(total)


def expected_cash(
    *,
    opening_float: Decimal,
    cash_payments: Iterable[Decimal] = (),
    ingresos: Iterable[Decimal] = (),
    egresos: Iterable[Decimal] = (),
) -> Decimal:
    """Float + signed cash payments (refunds are negative) + ingresos − egresos."""
    total = opening_float + sum(cash_payments, ZERO) + sum(ingresos, ZERO) - sum(egresos, ZERO)
    return q2(total)


@dataclass(frozen=True, slots=True)
class MethodLine:
    """Expected vs counted for one payment method."""

    method: str
    expected: Decimal
    counted: Decimal

    @property
    def difference(self) -> Decimal:
        return self.counted - self.expected


@dataclass(frozen=True, slots=True)
class Comparison:
    lines: tuple[MethodLine, ...]

    @property
    def expected_total(self) -> Decimal:
        return sum((line.expected for line in self.lines), ZERO)

    @property
    def counted_total(self) -> Decimal:
        return sum((line.counted for line in self.lines), ZERO)

    @property
    def difference(self) -> Decimal:
        """Net difference, counted − expected over every method."""
        return self.counted_total - self.expected_total

    @property
    def absolute_difference(self) -> Decimal:
        """Sum of the absolute per-method differences (what the threshold is judged on)."""
        return sum((abs(line.difference) for line in self.lines), ZERO)

    def line(self, method: str) -> MethodLine:
        for line in self.lines:
            if line.method == method:
                return line
        raise KeyError(method)


def compare(expected: Mapping[str, Decimal], counted: Mapping[str, Decimal]) -> Comparison:
    """Expected vs counted for every method of ``METHODS`` (missing ones are zero)."""
    for method in (*expected, *counted):
        if method not in METHODS:
            raise InvalidInput(
                f"Medio de pago desconocido: «{method}».", code="method_unknown", loc=[method]
            )
    return Comparison(
        tuple(MethodLine(m, q2(expected.get(m, ZERO)), q2(counted.get(m, ZERO))) for m in METHODS)
    )


def needs_approval(comparison: Comparison, *, threshold: Decimal) -> bool:
    """True when the differences, added in absolute value, exceed ``threshold``."""
    return comparison.absolute_difference > threshold


__all__ = [
    "BILLS",
    "CASH",
    "COINS",
    "DENOMINATIONS",
    "METHODS",
    "METHOD_LABELS",
    "NON_CASH_METHODS",
    "Comparison",
    "MethodLine",
    "check_amount",
    "compare",
    "count_total",
    "denomination_key",
    "expected_cash",
    "method_label",
    "needs_approval",
    "parse_counts",
    "parse_denomination",
]
