"""Pydantic field types both APIs use, so money looks the same everywhere on the wire.

``Money`` accepts "12.50" (or an integer) and never a float; it serialises as the string
"12.50". Text must be ASCII ``[0-9]{1,9}(.[0-9]{1,2})?`` (ASCII spaces around are stripped):
``domain.money.parse_amount`` is the one parser, and errors carry its stable codes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from domain.errors import InvalidInput
from domain.money import check_price, fmt, parse_amount


def _money(value: Any) -> Decimal:
    return parse_amount(value, field="monto")


def _signed_money(value: Any) -> Decimal:
    return parse_amount(value, field="monto", allow_negative=True)


_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^[0-9]{1,9}(\.[0-9]{1,2})?$", "examples": ["120.50"]}
)

Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    PlainSerializer(fmt, return_type=str, when_used="always"),
    _SCHEMA,
]
"""A non-negative amount in soles, 2 decimals max, string on the wire."""


def _price(value: Any) -> Decimal:
    return check_price(parse_amount(value, field="precio"))


Price = Annotated[
    Decimal,
    BeforeValidator(_price),
    PlainSerializer(fmt, return_type=str, when_used="always"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[0-9]{1,6}(\.[0-9]{1,2})?$", "examples": ["35.00"]}
    ),
]
"""A catalog price set from outside (a test's, a convenio's): ``Money`` up to
``domain.money.MAX_PRICE`` (999999.99; 422 ``price_too_high`` above)."""

SignedMoney = Annotated[
    Decimal,
    BeforeValidator(_signed_money),
    PlainSerializer(fmt, return_type=str, when_used="always"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?[0-9]{1,9}(\.[0-9]{1,2})?$", "examples": ["-5.00"]}
    ),
]
"""An amount that may be negative (refunds, differences)."""


def _percent_text(value: Any) -> Any:
    """Percentages take the amount rule's text form: ASCII digits, "." and 2 decimals at most
    (no "1e1", "+5", "٥٠" or ", "); the range is the field's own ``ge``/``le``."""
    if isinstance(value, bool | float):
        raise InvalidInput(
            'El porcentaje debe enviarse como texto decimal (por ejemplo "12.5").',
            code="amount_not_decimal",
        )
    if isinstance(value, str):
        text = value.strip(" ")
        if _PERCENT_TEXT.fullmatch(text) is None:
            raise InvalidInput(
                "Use un porcentaje como 15 o 12.50: solo dígitos, punto decimal y hasta 2"
                " decimales.",
                code="pct_invalid",
            )
        return text
    return value


_PERCENT_TEXT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")

Percent = Annotated[
    Decimal,
    BeforeValidator(_percent_text),
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[0-9]{1,3}(\.[0-9]{1,2})?$", "examples": ["15"]}
    ),
]
"""A percentage 0-100 with 2 decimals at most, sent as text ("15", "12.5")."""
