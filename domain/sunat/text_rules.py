"""Rules on the free texts of a document (pure): what SUNAT's rules and XML itself refuse.

Checked by :func:`domain.sunat.rules.check_document` before a correlative is taken, so a text
that cannot be sent is a clear 422 at the counter instead of a document SUNAT rejects (or an
XML that cannot even be written: control characters).

=================================  ===============================================
``text_not_allowed``               control characters XML 1.0 cannot carry
``customer_name_too_short``        name under 3 characters (rule 2022 rejects it)
``line_description_required``      an item without description (rules 2026/2027)
``note_description_invalid``       a note's sustento of 1 character (rule 2135)
=================================  ===============================================
"""

from __future__ import annotations

import re

from domain.errors import InvalidInput
from domain.sunat.models import Document
from domain.sunat.ubl_xml import clean

#: Characters outside XML 1.0's Char production (C0 controls except tab/LF/CR, surrogates,
#: U+FFFE/U+FFFF): lxml refuses to write them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: SUNAT: RegistrationName of 3 to 1500 characters, not starting with a blank (2022).
CUSTOMER_NAME_MIN = 3
#: SUNAT: DiscrepancyResponse/Description of 2 to 500 characters (2135).
NOTE_DESCRIPTION_MIN = 2


def check_xml_text(value: str, loc: list[str | int]) -> None:
    """Refuse a text with characters XML cannot carry (e.g. pasted control codes)."""
    if _NOT_XML.search(value):
        raise InvalidInput(
            "El texto contiene caracteres de control que no se pueden enviar a SUNAT;"
            " escríbalo de nuevo sin ellos.",
            code="text_not_allowed",
            loc=loc,
        )


def check_texts(doc: Document) -> None:
    """Every text the UBL carries can be written and meets SUNAT's length rules."""
    customer = doc.customer
    check_xml_text(customer.name, ["customer", "name"])
    check_xml_text(customer.address, ["customer", "address"])
    if len(clean(customer.name, 1500)) < CUSTOMER_NAME_MIN:
        raise InvalidInput(
            "El nombre o razón social del cliente debe tener al menos 3 caracteres"
            " (SUNAT rechaza nombres más cortos).",
            code="customer_name_too_short",
            loc=["customer", "name"],
        )
    for i, line in enumerate(doc.lines):
        check_xml_text(line.description, ["lines", i, "description"])
        check_xml_text(line.code, ["lines", i, "code"])
        if not clean(line.description, 500):
            raise InvalidInput(
                "Cada ítem debe tener una descripción.",
                code="line_description_required",
                loc=["lines", i, "description"],
            )
    check_xml_text(doc.note_description, ["note_description"])
    check_xml_text(doc.observations, ["observations"])
    described = clean(doc.note_description, 250)
    if doc.is_note and described and len(described) < NOTE_DESCRIPTION_MIN:
        raise InvalidInput(
            "El sustento de la nota debe tener al menos 2 caracteres.",
            code="note_description_invalid",
            loc=["note_description"],
        )


__all__ = ["CUSTOMER_NAME_MIN", "NOTE_DESCRIPTION_MIN", "check_texts", "check_xml_text"]
