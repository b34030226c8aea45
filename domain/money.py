"""Money in soles (PEN): ``Decimal`` in code, strings on the wire, integer céntimos in storage.

Never float. IGV is 18 %. Rounding is ROUND_HALF_UP to 2 decimals, the way SUNAT's
validations recompute totals.

Line arithmetic (``line_from_price`` / ``line_from_value``) fixes the rounding points once:

* the amount the customer pays for a line is ``q2(quantity × unit price)``;
* its base (valor de venta) is that total divided by 1.18, rounded per line, and the IGV
  is the difference, so ``value + igv == total`` exactly;
* the unit value (valor unitario) is carried with 10 decimals, as UBL allows, so that
  ``quantity × unit_value`` lands within one céntimo of the line value.

SUNAT's validation stylesheets accept a difference of up to 1 between a declared amount
and its recomputation (``($x + 1) < $calc``); our lines stay within one céntimo, and
document totals are the exact sum of their lines (``sum_lines``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.errors import InvalidInput

CENT = Decimal("0.01")
IGV_RATE = Decimal("0.18")
ZERO = Decimal("0.00")
UNIT_VALUE_EXP = Decimal("1E-10")
"""UBL ``cbc:PriceAmount`` allows up to 10 decimals for the unit value."""
QUANTITY_EXP = Decimal("1E-10")
"""UBL ``cbc:InvoicedQuantity`` allows up to 10 decimals."""
MAX_AMOUNT = Decimal("999999999999999.99")
"""Largest amount accepted from outside: céntimos fit in 64 bits, quantize stays in context."""
MAX_QUANTITY = Decimal("999999999")


def q2(value: Decimal) -> Decimal:
    """Round to céntimos, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _refuse_float(value: object, field: str) -> None:
    if isinstance(value, bool | float):
        raise InvalidInput(
            f'El {field} debe enviarse como texto decimal (por ejemplo "12.50"), no como número'
            " de coma flotante.",
            code="amount_not_decimal",
            loc=[field],
        )


AMOUNT_FORMAT = "Use un monto como 35.00: solo dígitos, punto decimal y hasta 2 decimales."
"""The hint every refused amount carries (wire format of ``fmt``)."""
MAX_WIRE_DIGITS = 9
"""Integer digits an amount from outside may have: up to S/ 999,999,999.99."""
_AMOUNT_TEXT = re.compile(r"(-?)([0-9]{1,9})(?:\.([0-9]{1,2}))?")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _shown(value: object) -> str:
    """``value`` quoted for a message when it is short printable text, else nothing."""
    text = str(value)
    if isinstance(value, str) and text.isprintable() and 0 < len(text) <= 20:
        return f" «{text}»"
    return ""


def _amount_from_text(text: str, field: str) -> Decimal:
    r"""The wire rule: ASCII ``^-?[0-9]{1,9}(\.[0-9]{1,2})?$`` after stripping ASCII spaces.

    Nothing else: no exponent ("1e3"), sign "+", "NaN"/"Infinity", comma decimal ("35,00"),
    bare point ("35." / ".5"), non-ASCII digits ("٣٥") or other whitespace (tabs, NBSP)."""
    stripped = text.strip(" ")
    match = _AMOUNT_TEXT.fullmatch(stripped)
    if match is None:
        if _DECIMAL_TEXT.fullmatch(stripped):  # well-formed, only too long or too precise
            whole, _, frac = stripped.lstrip("-").partition(".")
            if len(whole) > MAX_WIRE_DIGITS:
                raise InvalidInput(
                    f"El {field} es demasiado grande (máximo 999999999.99).",
                    code="amount_too_large",
                    loc=[field],
                )
            raise InvalidInput(
                f"El {field} admite como máximo 2 decimales. {AMOUNT_FORMAT}",
                code="amount_precision",
                loc=[field],
            )
        raise InvalidInput(
            f"El {field}{_shown(text)} no es un monto válido. {AMOUNT_FORMAT}",
            code="amount_invalid",
            loc=[field],
        )
    sign, whole, frac = match.groups()
    return Decimal(f"{sign}{whole}.{(frac or '').ljust(2, '0')}")


def parse_amount(value: object, *, field: str = "monto", allow_negative: bool = False) -> Decimal:
    """Parse a money amount from a string, int or Decimal; floats are refused.

    Text (the wire) must match ASCII ``-?[0-9]{1,9}(.[0-9]{1,2})?`` once ASCII spaces are
    stripped (``_amount_from_text``); ints must have at most 9 digits. Decimals (from code)
    are checked for finiteness, precision and ``MAX_AMOUNT``. Codes: ``amount_not_decimal``,
    ``amount_invalid``, ``amount_too_large``, ``amount_precision``, ``amount_negative``."""
    _refuse_float(value, field)
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        amount = _amount_from_text(value, field)
    elif isinstance(value, int):
        if abs(value) >= 10**MAX_WIRE_DIGITS:
            raise InvalidInput(
                f"El {field} es demasiado grande (máximo 999999999.99).",
                code="amount_too_large",
                loc=[field],
            )
        amount = Decimal(value)
    else:
        raise InvalidInput(
            f"El {field} no es un monto válido. {AMOUNT_FORMAT}",
            code="amount_invalid",
            loc=[field],
        )
    if not amount.is_finite():
        raise InvalidInput(
            f"El {field} no es un monto válido. {AMOUNT_FORMAT}", code="amount_invalid", loc=[field]
        )
    if abs(amount) > MAX_AMOUNT:
        raise InvalidInput(
            f"El {field} es demasiado grande.",
            code="amount_too_large",
            loc=[field],
        )
    if amount != q2(amount):
        raise InvalidInput(
            f"El {field} admite como máximo 2 decimales.", code="amount_precision", loc=[field]
        )
    if amount < 0 and not allow_negative:
        raise InvalidInput(
            f"El {field} no puede ser negativo.", code="amount_negative", loc=[field]
        )
    return q2(amount)


MAX_PRICE = Decimal("999999.99")
"""Largest price of one catalog test or panel (public or a convenio's): céntimos fit the hub's
32-bit price columns with room to spare, and no laboratory test costs a million soles."""


def check_price(amount: Decimal, *, field: str = "precio") -> Decimal:
    """``amount`` when it is at most :data:`MAX_PRICE`; else ``price_too_high``."""
    if amount > MAX_PRICE:
        raise InvalidInput(
            f"El {field} de un examen no puede pasar de {fmt_soles(MAX_PRICE)}.",
            code="price_too_high",
            loc=[field],
        )
    return amount


def parse_quantity(value: object, *, field: str = "cantidad") -> Decimal:
    """Parse a strictly positive quantity (up to 10 decimals); floats are refused."""
    if isinstance(value, bool | float):
        raise InvalidInput(
            f"La {field} debe enviarse como texto decimal, no como número de coma flotante.",
            code="quantity_not_decimal",
            loc=[field],
        )
    try:
        qty = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            f"La {field} «{value}» no es válida.", code="quantity_invalid", loc=[field]
        ) from None
    if (
        not qty.is_finite()
        or abs(qty) > MAX_QUANTITY
        or qty != qty.quantize(QUANTITY_EXP, rounding=ROUND_HALF_UP)
    ):
        raise InvalidInput(
            f"La {field} debe ser un número de hasta 9 cifras enteras y 10 decimales.",
            code="quantity_invalid",
            loc=[field],
        )
    if qty <= 0:
        raise InvalidInput(
            f"La {field} debe ser mayor que cero.", code="quantity_not_positive", loc=[field]
        )
    return qty


def _rate(rate: Decimal) -> Decimal:
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0 or rate >= 1:
        raise InvalidInput(
            "La tasa de impuesto no es válida.", code="tax_rate_invalid", loc=["tasa"]
        )
    return rate


def to_cents(amount: Decimal) -> int:
    """Decimal soles -> integer céntimos (exact; refuses floats and sub-céntimo precision)."""
    _refuse_float(amount, "monto")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidInput("El monto no es un monto válido.", code="amount_invalid", loc=["monto"])
    if amount != q2(amount):
        raise InvalidInput(
            "El monto tiene más de 2 decimales.", code="amount_precision", loc=["monto"]
        )
    return int(amount.scaleb(2))


def from_cents(cents: int) -> Decimal:
    """Integer céntimos -> Decimal soles with 2 decimals."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise InvalidInput(
            "Los céntimos deben ser un número entero.", code="cents_invalid", loc=["monto"]
        )
    return Decimal(cents).scaleb(-2)


def fmt(amount: Decimal) -> str:
    """Wire format: plain string with 2 decimals ("123.50")."""
    return f"{q2(amount):.2f}"


def fmt_soles(amount: Decimal | int | str) -> str:
    """For people, never the wire: an amount in soles as messages and printed pages show it
    in es-PE, with the currency and thousands separated ("S/ 2,000.00"). Takes the wire's
    strings too ("2000.00", as the API answers them). A negative amount carries its sign
    before the currency ("-S/ 19.50"), as es-PE writes it and the reception pages show it."""
    value = q2(amount if isinstance(amount, Decimal) else Decimal(str(amount)))
    return f"{'-' if value < 0 else ''}S/ {abs(value):,.2f}"


def igv_from_base(base: Decimal, *, rate: Decimal = IGV_RATE) -> Decimal:
    """IGV on a tax-exclusive base: ``q2(base × rate)``."""
    amount = parse_amount(base, field="monto")
    return q2(amount * _rate(rate))


def split_inclusive(total: Decimal, *, rate: Decimal = IGV_RATE) -> tuple[Decimal, Decimal]:
    """Split a tax-inclusive price into ``(base, igv)`` with ``base + igv == total`` exactly.

    The base is rounded (``q2(total / (1 + rate))``) and the IGV takes the remainder, so
    ``igv`` is within a céntimo of ``base × rate``.
    """
    amount = parse_amount(total, field="monto")
    base = q2(amount / (1 + _rate(rate)))
    return base, amount - base


def within_tolerance(declared: Decimal, computed: Decimal, *, tolerance: Decimal = CENT) -> bool:
    """True when two amounts differ by at most ``tolerance`` (a céntimo by default)."""
    return abs(declared - computed) <= tolerance


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """The amounts of one document line, all rounded at the documented points."""

    quantity: Decimal
    unit_value: Decimal
    """Valor unitario, without IGV, 10 decimals."""
    unit_price: Decimal
    """Precio unitario, with IGV, 2 decimals."""
    value: Decimal
    """Valor de venta of the line (base imponible), 2 decimals."""
    igv: Decimal
    total: Decimal
    """``value + igv``: what the customer pays for the line."""


def line_from_price(
    quantity: Decimal, unit_price: Decimal, *, rate: Decimal = IGV_RATE
) -> LineAmounts:
    """A line from a tax-inclusive unit price (the price on the counter's price list)."""
    qty = parse_quantity(quantity)
    price = parse_amount(unit_price, field="precio unitario")
    r = _rate(rate)
    total = q2(qty * price)
    value, igv = split_inclusive(total, rate=r)
    unit_value = (price / (1 + r)).quantize(UNIT_VALUE_EXP, rounding=ROUND_HALF_UP)
    return LineAmounts(qty, unit_value, price, value, igv, total)


def line_from_value(
    quantity: Decimal, unit_value: Decimal, *, rate: Decimal = IGV_RATE
) -> LineAmounts:
    """A line from a tax-exclusive unit value (e.g. a convenio price list without IGV)."""
    qty = parse_quantity(quantity)
    uv = parse_amount(unit_value, field="valor unitario")
    r = _rate(rate)
    value = q2(qty * uv)
    igv = q2(value * r)
    total = value + igv
    unit_price = q2(uv * (1 + r))
    return LineAmounts(qty, uv.quantize(UNIT_VALUE_EXP), unit_price, value, igv, total)


@dataclass(frozen=True, slots=True)
class Totals:
    """Document totals: always the exact sum of the lines' rounded amounts."""

    value: Decimal
    igv: Decimal
    total: Decimal


def sum_lines(lines: Iterable[LineAmounts]) -> Totals:
    """Add up lines; the document total is the sum of line totals, never a recomputation."""
    value = igv = total = ZERO
    for line in lines:
        value += line.value
        igv += line.igv
        total += line.total
    return Totals(value, igv, total)


__all__ = [
    "CENT",
    "IGV_RATE",
    "MAX_PRICE",
    "ZERO",
    "LineAmounts",
    "Totals",
    "check_price",
    "fmt",
    "fmt_soles",
    "from_cents",
    "igv_from_base",
    "line_from_price",
    "line_from_value",
    "parse_amount",
    "parse_quantity",
    "q2",
    "split_inclusive",
    "sum_lines",
    "to_cents",
    "within_tolerance",
]
