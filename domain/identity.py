"""Identity documents of Peru (SUNAT catálogo 06): DNI, RUC, carné de extranjería, pasaporte.

``validate_document(doc_type, number)`` normalizes (strip, uppercase) and validates a number,
raising ``InvalidInput`` with a stable code and ``loc=["document_number"]``.

RUC: 11 digits, prefix 10 (natural person: ``10`` + DNI + check digit), 15, 16, 17
(natural persons without DNI and other special cases) or 20 (legal entity), and a
modulo-11 check digit over the first 10 digits with weights 5,4,3,2,7,6,5,4,3,2:
``check = (11 - sum % 11) % 10`` (a result of 10 gives 0 and 11 gives 1).
A valid format does not prove the RUC exists in SUNAT's padrón.
"""

from __future__ import annotations

import re
from enum import StrEnum

from domain.errors import InvalidInput

RUC_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
RUC_PREFIXES = frozenset({"10", "15", "16", "17", "20"})

_DIGITS = {n: re.compile(rf"[0-9]{{{n}}}") for n in (8, 10, 11)}
_CE = re.compile(r"[A-Z0-9]{9,12}")
_PASSPORT = re.compile(r"[A-Z0-9]{6,12}")
_DIPLOMATIC = re.compile(r"[A-Z0-9]{1,15}")
_NO_DOCUMENT = re.compile(r"[A-Z0-9-]{1,15}")
_LOC = ["document_number"]


class DocType(StrEnum):
    """Identity document types, valued by their SUNAT catálogo 06 code."""

    SIN_DOCUMENTO = "0"
    DNI = "1"
    CARNE_EXTRANJERIA = "4"
    RUC = "6"
    PASAPORTE = "7"
    CEDULA_DIPLOMATICA = "A"

    @property
    def label(self) -> str:
        """Spanish name shown to staff."""
        return _LABELS[self]


_LABELS = {
    DocType.SIN_DOCUMENTO: "Sin documento",
    DocType.DNI: "DNI",
    DocType.CARNE_EXTRANJERIA: "Carné de extranjería",
    DocType.RUC: "RUC",
    DocType.PASAPORTE: "Pasaporte",
    DocType.CEDULA_DIPLOMATICA: "Cédula diplomática de identidad",
}


def parse_doc_type(value: object) -> DocType:
    """A ``DocType`` from its catálogo 06 code (``"1"``, ``"6"``, ...) or the enum itself."""
    if isinstance(value, DocType):
        return value
    code = str(value).strip().upper() if isinstance(value, str | int) else ""
    try:
        return DocType(code)
    except ValueError:
        raise InvalidInput(
            f"El tipo de documento «{value}» no es válido. Use 0 (sin documento), 1 (DNI),"
            " 4 (carné de extranjería), 6 (RUC), 7 (pasaporte) o A (cédula diplomática).",
            code="doc_type_invalid",
            loc=["document_type"],
        ) from None


def normalize(number: object) -> str:
    """Strip surrounding blanks and uppercase; non-strings are refused."""
    if not isinstance(number, str):
        raise InvalidInput(
            "El número de documento debe enviarse como texto.",
            code="document_number_invalid",
            loc=_LOC,
        )
    return number.strip().upper()


def ruc_check_digit(body: str) -> int:
    """The modulo-11 check digit of a 10-digit RUC body."""
    if not _DIGITS[10].fullmatch(body):
        raise InvalidInput("El cuerpo del RUC debe tener 10 dígitos.", code="ruc_invalid", loc=_LOC)
    total = sum(w * int(d) for w, d in zip(RUC_WEIGHTS, body, strict=True))
    return (11 - total % 11) % 10


def _validate_ruc(ruc: str) -> str:
    if not _DIGITS[11].fullmatch(ruc):
        raise InvalidInput(
            "El RUC debe tener exactamente 11 dígitos.", code="ruc_invalid", loc=_LOC
        )
    if ruc[:2] not in RUC_PREFIXES:
        raise InvalidInput(
            f"El RUC {ruc} no es válido: debe empezar con 10, 15, 16, 17 o 20.",
            code="ruc_prefix",
            loc=_LOC,
        )
    if ruc_check_digit(ruc[:10]) != int(ruc[10]):
        raise InvalidInput(
            f"El RUC {ruc} no es válido: el dígito verificador no corresponde.",
            code="ruc_check_digit",
            loc=_LOC,
        )
    return ruc


def _validate_dni(dni: str) -> str:
    if not _DIGITS[8].fullmatch(dni):
        raise InvalidInput("El DNI debe tener exactamente 8 dígitos.", code="dni_invalid", loc=_LOC)
    return dni


def _validate_ce(ce: str) -> str:
    if not _CE.fullmatch(ce):
        raise InvalidInput(
            "El carné de extranjería debe tener entre 9 y 12 letras o dígitos.",
            code="ce_invalid",
            loc=_LOC,
        )
    return ce


def _validate_passport(passport: str) -> str:
    if not _PASSPORT.fullmatch(passport):
        raise InvalidInput(
            "El pasaporte debe tener entre 6 y 12 letras o dígitos.",
            code="passport_invalid",
            loc=_LOC,
        )
    return passport


def _validate_diplomatic(number: str) -> str:
    if not _DIPLOMATIC.fullmatch(number):
        raise InvalidInput(
            "La cédula diplomática debe tener entre 1 y 15 letras o dígitos.",
            code="diplomatic_id_invalid",
            loc=_LOC,
        )
    return number


def _validate_no_document(number: str) -> str:
    # "Clientes varios": SUNAT accepts "-" as the number; an empty field means that.
    number = number or "-"
    if not _NO_DOCUMENT.fullmatch(number):
        raise InvalidInput(
            "Para «sin documento» use «-» o hasta 15 letras o dígitos.",
            code="document_number_invalid",
            loc=_LOC,
        )
    return number


_VALIDATORS = {
    DocType.SIN_DOCUMENTO: _validate_no_document,
    DocType.DNI: _validate_dni,
    DocType.CARNE_EXTRANJERIA: _validate_ce,
    DocType.RUC: _validate_ruc,
    DocType.PASAPORTE: _validate_passport,
    DocType.CEDULA_DIPLOMATICA: _validate_diplomatic,
}


def validate_document(doc_type: DocType | str, number: object) -> str:
    """Validate a document number for its type and return it normalized."""
    kind = parse_doc_type(doc_type)
    return _VALIDATORS[kind](normalize(number))


def is_valid_ruc(value: object) -> bool:
    """True for an 11-digit RUC with a known prefix and the right check digit."""
    if not isinstance(value, str):
        return False
    try:
        _validate_ruc(value.strip())
    except InvalidInput:
        return False
    return True


def is_valid_dni(value: object) -> bool:
    """True for exactly 8 digits (surrounding blanks ignored)."""
    return isinstance(value, str) and bool(_DIGITS[8].fullmatch(value.strip()))


def ruc_is_company(ruc: str) -> bool:
    """True for a legal entity's RUC (prefix 20); raises ``InvalidInput`` for a bad RUC."""
    return validate_document(DocType.RUC, ruc).startswith("20")


def ruc_from_dni(dni: str) -> str:
    """The RUC of a natural person with a DNI: ``10`` + DNI + check digit."""
    body = "10" + validate_document(DocType.DNI, dni)
    return body + str(ruc_check_digit(body))


__all__ = [
    "RUC_PREFIXES",
    "DocType",
    "is_valid_dni",
    "is_valid_ruc",
    "normalize",
    "parse_doc_type",
    "ruc_check_digit",
    "ruc_from_dni",
    "ruc_is_company",
    "validate_document",
]
