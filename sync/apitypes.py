"""Pydantic field types both APIs use, so money looks the same everywhere on the wire.

``Money`` accepts "12.50" (or an integer) and never a float; it serialises as the string
"12.50". Errors carry the stable codes of ``domain.money.parse_amount``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from domain.money import fmt, parse_amount


def _money(value: Any) -> Decimal:
    return parse_amount(value, field="monto")


def _signed_money(value: Any) -> Decimal:
    return parse_amount(value, field="monto", allow_negative=True)


_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["120.50"]}
)

Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    PlainSerializer(fmt, return_type=str, when_used="always"),
    _SCHEMA,
]
"""A non-negative amount in soles, 2 decimals max, string on the wire."""

SignedMoney = Annotated[
    Decimal,
    BeforeValidator(_signed_money),
    PlainSerializer(fmt, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$", "examples": ["-5.00"]}),
]
"""An amount that may be negative (refunds, differences)."""
