"""Amounts in Spanish words, as printed in SUNAT legend 1000 ("Monto en letras").

    >>> amount_in_words(Decimal("123.50"))
    'CIENTO VEINTITRÉS CON 50/100 SOLES'

Upper case with accents (VEINTITRÉS, DIECISÉIS, MILLÓN), the integer part in words and
the céntimos as ``NN/100``, the way SUNAT's own samples write it ("CIENTO DIECIOCHO CON
00/100 SOLES"). The integer part keeps the full form "UNO" when it stands alone
("VEINTIUNO CON 00/100 SOLES") and the apocope before MIL / MILLÓN ("VEINTIÚN MIL",
"UN MILLÓN"). Long scale: 10^9 is "MIL MILLONES", 10^12 is "UN BILLÓN".
"""

from __future__ import annotations

from decimal import Decimal

from domain.errors import InvalidInput
from domain.money import q2

_UNITS = (
    "CERO",
    "UNO",
    "DOS",
    "TRES",
    "CUATRO",
    "CINCO",
    "SEIS",
    "SIETE",
    "OCHO",
    "NUEVE",
    "DIEZ",
    "ONCE",
    "DOCE",
    "TRECE",
    "CATORCE",
    "QUINCE",
    "DIECISÉIS",
    "DIECISIETE",
    "DIECIOCHO",
    "DIECINUEVE",
    "VEINTE",
    "VEINTIUNO",
    "VEINTIDÓS",
    "VEINTITRÉS",
    "VEINTICUATRO",
    "VEINTICINCO",
    "VEINTISÉIS",
    "VEINTISIETE",
    "VEINTIOCHO",
    "VEINTINUEVE",
)
_TENS = ("", "", "", "TREINTA", "CUARENTA", "CINCUENTA", "SESENTA", "SETENTA", "OCHENTA", "NOVENTA")
_HUNDREDS = (
    "",
    "CIENTO",
    "DOSCIENTOS",
    "TRESCIENTOS",
    "CUATROCIENTOS",
    "QUINIENTOS",
    "SEISCIENTOS",
    "SETECIENTOS",
    "OCHOCIENTOS",
    "NOVECIENTOS",
)

#: Largest integer part handled (just under a thousand billones, 10^15).
MAX_AMOUNT = Decimal("999999999999999.99")


def _below_hundred(n: int, apocope: bool) -> str:
    if n < 30:
        word = _UNITS[n]
    else:
        tens, unit = divmod(n, 10)
        word = _TENS[tens] if unit == 0 else f"{_TENS[tens]} Y {_UNITS[unit]}"
    if apocope:
        if word.endswith("VEINTIUNO"):
            word = word[: -len("VEINTIUNO")] + "VEINTIÚN"
        elif word.endswith("UNO"):
            word = word[:-1]
    return word


def _below_thousand(n: int, apocope: bool) -> str:
    """1..999 in words; ``apocope`` shortens a final UNO to UN (before MIL / MILLÓN)."""
    if n == 100:
        return "CIEN"
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append(_HUNDREDS[hundreds])
    if rest:
        parts.append(_below_hundred(rest, apocope))
    return " ".join(parts)


def _below_million(n: int, apocope: bool) -> str:
    """0 < n < 10^6."""
    thousands, rest = divmod(n, 1000)
    parts = []
    if thousands == 1:
        parts.append("MIL")
    elif thousands:
        parts.append(_below_thousand(thousands, True) + " MIL")
    if rest:
        parts.append(_below_thousand(rest, apocope))
    return " ".join(parts)


def integer_in_words(n: int) -> str:
    """A non-negative integer below 10^15 in upper-case Spanish words."""
    if n < 0 or n >= 10**15:
        raise InvalidInput(
            "El monto está fuera del rango que se puede escribir en letras.",
            code="amount_out_of_range",
            loc=["monto"],
        )
    if n == 0:
        return "CERO"
    billions, rest = divmod(n, 10**12)  # billones (long scale)
    millions, units = divmod(rest, 10**6)
    parts = []
    if billions:
        parts.append(
            "UN BILLÓN" if billions == 1 else _below_thousand(billions, True) + " BILLONES"
        )
    if millions:
        parts.append("UN MILLÓN" if millions == 1 else _below_million(millions, True) + " MILLONES")
    if units:
        parts.append(_below_million(units, False))
    return " ".join(parts)


def amount_in_words(amount: Decimal, currency_name: str = "SOLES") -> str:
    """``Decimal("123.50")`` -> ``"CIENTO VEINTITRÉS CON 50/100 SOLES"``.

    The amount is rounded to céntimos first (half up). Negative or non-finite amounts and
    amounts of 10^15 or more are refused with :class:`InvalidInput`.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise InvalidInput(
            "El monto en letras requiere un importe decimal no negativo.",
            code="amount_invalid",
            loc=["monto"],
        )
    rounded = q2(amount)
    if rounded > MAX_AMOUNT:
        raise InvalidInput(
            "El monto está fuera del rango que se puede escribir en letras.",
            code="amount_out_of_range",
            loc=["monto"],
        )
    cents_total = int(rounded * 100)
    integer, cents = divmod(cents_total, 100)
    return f"{integer_in_words(integer)} CON {cents:02d}/100 {currency_name}".strip()
