"""The physician who asked for the tests (médico solicitante) and how urgent the order is.

A medical order carries the physician's name and stamp with their Colegio Médico del Perú
number (CMP). Reception copies both: the laboratory receives them as the ordering provider of
each test (HL7 ORC-12 / OBR-16, ``<cmp>^<name>^^^^^^^CMP``), the ticket prints them and the
hub counts orders per physician. The CMP is a plain registration number (no check digit): up
to 6 digits today; leading zeros, spaces and a typed "CMP" prefix are dropped so one physician
is one number. A name is kept as the patient's are: single-spaced, uppercase, accents kept, an
opening "Dr."/"Dra." dropped (the pages say "Dr(a).").

An order is ``rutina`` or ``urgente``; an urgent one goes to the laboratory with priority ``S``
(stat) and its tubes are marked on the labels.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from domain.errors import InvalidInput

CMP_MAX_DIGITS = 6
NAME_MAX = 120

_CMP_PREFIX = re.compile(r"^C\.?\s*M\.?\s*P\.?\s*[:.\-Nº°O]*\s*", re.IGNORECASE)
_TITLE = re.compile(r"^(?:DRA?|MED|MÉD)\.?(?:\s+|$)")
_NAME = re.compile(r"[^\W\d_]+(?:[ '\-.][^\W\d_]*)*")


class Priority(StrEnum):
    RUTINA = "rutina"
    URGENTE = "urgente"

    @property
    def label(self) -> str:
        return "Urgente" if self is Priority.URGENTE else "Rutina"


def clean_cmp(value: str, *, loc: list[str | int]) -> str:
    """The CMP as digits without leading zeros ("CMP 045123" -> "45123")."""
    text = _CMP_PREFIX.sub("", value.strip()).replace(" ", "")
    if not text.isdigit() or not text.isascii():
        raise InvalidInput(
            "El CMP del médico son solo números (p. ej. 45123).", code="cmp_invalid", loc=loc
        )
    digits = text.lstrip("0")
    if not digits or len(digits) > CMP_MAX_DIGITS:
        raise InvalidInput(
            f"El CMP del médico tiene de 1 a {CMP_MAX_DIGITS} dígitos.",
            code="cmp_invalid",
            loc=loc,
        )
    return digits


def clean_physician_name(value: str, *, loc: list[str | int]) -> str:
    """Single-spaced, uppercase, without an opening title; 3 to 120 characters of a name."""
    name = " ".join(unicodedata.normalize("NFC", value).split()).upper()
    name = _TITLE.sub("", name)
    if len(name) < 3:
        raise InvalidInput(
            "Escriba el nombre del médico solicitante como figura en la orden médica.",
            code="physician_name_required",
            loc=loc,
        )
    if len(name) > NAME_MAX:
        raise InvalidInput(
            f"El nombre del médico admite hasta {NAME_MAX} caracteres.",
            code="physician_name_too_long",
            loc=loc,
        )
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            "El nombre del médico lleva solo letras, espacios, apóstrofos, guiones o puntos.",
            code="physician_name_invalid",
            loc=loc,
        )
    return name


__all__ = [
    "CMP_MAX_DIGITS",
    "NAME_MAX",
    "Priority",
    "clean_cmp",
    "clean_physician_name",
]
