"""One imported cell to its value, or a :class:`CellError` with a stable code and a Spanish
reason. The rules are the API's (``central.catalog.schemas``): the same code pattern, lengths,
LOINC shape, IGV affectations and turnaround range; money through ``domain.money.parse_amount``
after "S/" and a decimal comma are taken off."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError

from central.catalog.schemas import Code, Loinc, Name, Short
from central.catalog.transfer import KIND_PANEL, KIND_TEST
from central.catalog.transfer_read import fold
from domain.errors import InvalidInput
from domain.money import MAX_PRICE, fmt_soles, parse_amount

_FORMULA_QUOTED = re.compile(r"^'[=+\-@\t\r]")
_CODE = TypeAdapter(Code)
_NAME = TypeAdapter(Name)
_SHORT = TypeAdapter(Short)
_LOINC = TypeAdapter(Loinc)
_YES = {"si", "s", "1", "true", "verdadero", "activo", "x"}
_NO = {"no", "n", "0", "false", "falso", "inactivo"}


class CellError(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    """The cell as text: numbers without a trailing ".0"; a csv export's apostrophe before
    ``= + - @`` taken off."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    return out[1:] if _FORMULA_QUOTED.match(out) else out


def _checked(adapter: TypeAdapter[str], value: Any, code: str, msg: str) -> str:
    try:
        return adapter.validate_python(text(value))
    except ValidationError as exc:
        raise CellError(code, msg) from exc


def code(value: Any) -> str:
    if blank(value):
        raise CellError("cell_required", "Falta el código.")
    return _checked(
        _CODE,
        value,
        "code_invalid",
        f"El código «{text(value)[:30]}» no es válido: hasta 20 letras, dígitos o guiones, "
        "empezando por letra o dígito.",
    )


def name(value: Any) -> str:
    if blank(value):
        raise CellError("cell_required", "Falta el nombre.")
    return _checked(_NAME, value, "name_too_long", "El nombre admite hasta 200 caracteres.")


def short(value: Any) -> str:
    return _checked(_SHORT, value, "text_too_long", "Admite hasta 80 caracteres.")


def loinc(value: Any) -> str:
    return _checked(
        _LOINC,
        value,
        "loinc_invalid",
        f"«{text(value)[:20]}» no es un código LOINC (como 3084-1).",
    )


def kind(value: Any) -> bool | None:
    """True for a panel, False for a test, None when empty."""
    if blank(value):
        return None
    word = fold(text(value))
    if word in (fold(KIND_PANEL), "panel"):
        return True
    if word in (fold(KIND_TEST), "prueba", "analisis"):
        return False
    raise CellError("kind_invalid", f"«{text(value)[:30]}»: escriba «Examen» o «Perfil».")


def active(value: Any) -> bool | None:
    if blank(value):
        return None
    word = fold(text(value))
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CellError("active_invalid", f"«{text(value)[:30]}»: escriba «Sí» o «No».")


def igv(value: Any) -> str | None:
    if blank(value):
        return None
    digits = re.match(r"^\s*(\d{2})\b", text(value))
    if digits and digits.group(1) in ("10", "20", "30"):
        return digits.group(1)
    raise CellError(
        "igv_invalid",
        f"«{text(value)[:30]}» no es una afectación de IGV: 10 (gravado), 20 (exonerado) "
        "o 30 (inafecto).",
    )


def hours(value: Any) -> int | None:
    if blank(value):
        return None
    raw = text(value)
    if not re.fullmatch(r"\d{1,4}", raw) or not 1 <= int(raw) <= 2160:
        raise CellError(
            "turnaround_invalid",
            f"«{raw[:30]}»: el tiempo de entrega son horas enteras, de 1 a 2160.",
        )
    return int(raw)


def money(value: Any) -> Decimal:
    """ "S/ 18.00", "18,5", "1,234.50", 18.5 (a number cell) -> Decimal; 3 decimals, words,
    negatives or huge amounts are refused with the reason."""
    if blank(value):
        raise CellError("cell_required", "Falta el precio.")
    if isinstance(value, bool):
        raise CellError("price_invalid", "El precio no es un monto.")
    if isinstance(value, int | float):
        raw = repr(round(float(value), 6)) if isinstance(value, float) else str(value)
    else:
        raw = text(value)
    shown = raw[:30]
    raw = re.sub(r"(?i)^s/\.?", "", raw.replace("\u00a0", " ").strip()).replace(" ", "")
    if "," in raw and "." in raw:  # the last mark is the decimal one: "1.234,50", "1,234.50"
        thousands = "." if raw.rindex(",") > raw.rindex(".") else ","
        raw = raw.replace(thousands, "")
    raw = raw.replace(",", ".")
    if raw.endswith(".0") and re.fullmatch(r"\d+\.0", raw):
        raw = raw[:-2]
    try:
        amount = parse_amount(raw, field="precio")
    except InvalidInput as exc:
        if exc.code == "amount_precision":
            msg = f"«{shown}»: el precio admite hasta 2 decimales."
            raise CellError("price_precision", msg) from exc
        if exc.code == "amount_negative" or raw.startswith("-"):
            msg = f"«{shown}»: el precio no puede ser negativo."
            raise CellError("price_negative", msg) from exc
        raise CellError(
            "price_invalid", f"«{shown}» no es un precio: escriba un monto como 18.50 o 18,50."
        ) from exc
    if amount > MAX_PRICE:
        raise CellError(
            "price_too_high", f"«{shown}»: un precio no puede pasar de {fmt_soles(MAX_PRICE)}."
        )
    return amount


def date(value: Any) -> dt.date | None:
    if blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise CellError("date_invalid", f"«{raw[:30]}» no es una fecha (dd/mm/aaaa).")


def codes(value: Any) -> list[str]:
    """A panel's tests: codes separated by commas, semicolons or spaces (upper-cased)."""
    parts = [p for p in re.split(r"[,;\s]+", text(value)) if p]
    return list(dict.fromkeys(p.upper() for p in parts))
