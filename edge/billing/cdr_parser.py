"""Lenient parsing of SUNAT's CDR (constancia de recepción, an UBL ApplicationResponse).

SUNAT's own CDRs do not always follow their schema (the beta service puts a dateTime in
``cbc:IssueDate`` and a dummy signature), and the zip may hold a ``dummy/`` folder entry
besides ``R-<name>.xml``. So nothing here validates: it finds the response, reads
``cac:DocumentResponse/cac:Response/{cbc:ReferenceID, cbc:ResponseCode, cbc:Description}``
and the ``cbc:Note`` list (observaciones, ``"4xxx - text"``), and keeps the raw bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"cbc": CBC, "cac": CAC}

CdrState = Literal["aceptado", "observado", "rechazado", "excepcion"]

_NOTE_RE = re.compile(r"^\s*(\d{1,4})\s*[-:]\s*(.*)$", re.S)


class CdrParseError(ValueError):
    """The bytes are not a CDR at all (not a zip, no XML inside, not XML)."""


@dataclass(frozen=True)
class CdrNote:
    """One observation (``cbc:Note``), usually ``"4252 - El dato ingresado ..."``."""

    code: str | None
    text: str
    raw: str

    @property
    def is_observation(self) -> bool:
        return self.code is not None and self.code.isdigit() and int(self.code) >= 4000


@dataclass(frozen=True)
class CdrResult:
    """What a CDR says about one submitted document (or summary)."""

    response_code: int
    description: str
    reference_id: str
    notes: tuple[CdrNote, ...] = ()
    cdr_id: str = ""
    issue_date: str = ""
    response_date: str = ""
    response_time: str = ""
    sender_id: str = ""
    receiver_id: str = ""
    xml_filename: str = ""
    raw_xml: bytes = field(default=b"", repr=False)
    raw_zip: bytes | None = field(default=None, repr=False)

    @property
    def accepted(self) -> bool:
        """SUNAT accepted the document (possibly with observations)."""
        return self.response_code == 0 or self.response_code >= 4000

    @property
    def rejected(self) -> bool:
        return 2000 <= self.response_code < 4000

    @property
    def observations(self) -> tuple[CdrNote, ...]:
        return tuple(n for n in self.notes if n.is_observation)

    @property
    def state(self) -> CdrState:
        if self.rejected:
            return "rechazado"
        if self.accepted:
            return "observado" if (self.observations or self.response_code >= 4000) else "aceptado"
        return "excepcion"


def _text(el: etree._Element, path: str) -> str:
    found = el.find(path, NS)
    if found is None:
        return ""
    return "".join(found.itertext()).strip()


def _parse_note(raw: str) -> CdrNote:
    raw = raw.strip()
    m = _NOTE_RE.match(raw)
    if m:
        return CdrNote(code=m.group(1).zfill(4), text=m.group(2).strip(), raw=raw)
    return CdrNote(code=None, text=raw, raw=raw)


def parse_cdr_xml(xml: bytes, *, raw_zip: bytes | None = None, filename: str = "") -> CdrResult:
    """Parse the ``R-….xml`` of a CDR. Raises :class:`CdrParseError` if it is not one."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise CdrParseError(f"CDR XML ilegible: {exc}") from exc
    if root is None:
        raise CdrParseError("CDR XML vacío")
    if etree.QName(root).localname != "ApplicationResponse":
        raise CdrParseError(f"no es un CDR (raíz {etree.QName(root).localname})")
    response = root.find("cac:DocumentResponse/cac:Response", NS)
    if response is None:
        response = root.find(".//cac:Response", NS)
    if response is None:
        raise CdrParseError("el CDR no tiene cac:DocumentResponse/cac:Response")
    code_text = _text(response, "cbc:ResponseCode")
    digits = re.sub(r"\D", "", code_text)
    if not digits:
        raise CdrParseError(f"ResponseCode no numérico: {code_text!r}")
    reference = _text(response, "cbc:ReferenceID") or _text(
        root, "cac:DocumentResponse/cac:DocumentReference/cbc:ID"
    )
    notes = tuple(_parse_note("".join(n.itertext())) for n in root.findall("cbc:Note", NS))
    # Some OSEs put the notes inside the response.
    notes += tuple(_parse_note("".join(n.itertext())) for n in response.findall("cbc:Note", NS))
    return CdrResult(
        response_code=int(digits),
        description=_text(response, "cbc:Description"),
        reference_id=reference,
        notes=notes,
        cdr_id=_text(root, "cbc:ID"),
        issue_date=_text(root, "cbc:IssueDate"),
        response_date=_text(root, "cbc:ResponseDate"),
        response_time=_text(root, "cbc:ResponseTime"),
        sender_id=_text(root, "cac:SenderParty/cac:PartyIdentification/cbc:ID"),
        receiver_id=_text(root, "cac:ReceiverParty/cac:PartyIdentification/cbc:ID"),
        xml_filename=filename,
        raw_xml=xml,
        raw_zip=raw_zip,
    )


#: A CDR is a few kilobytes; anything past this is refused unread.
MAX_CDR_XML = 5 * 1024 * 1024


def parse_cdr_zip(data: bytes) -> CdrResult:
    """Parse a CDR zip (``applicationResponse`` / ``content``): the first ``R-*.xml`` wins,
    else the first ``.xml`` entry; folder entries (``dummy/``) are ignored."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CdrParseError(f"el CDR no es un zip válido: {exc}") from exc
    with zf:
        names = [
            i.filename
            for i in zf.infolist()
            if not i.is_dir() and i.filename.lower().endswith(".xml")
        ]
        if not names:
            raise CdrParseError(f"el zip del CDR no contiene XML ({zf.namelist()})")
        base = {n: n.rsplit("/", 1)[-1] for n in names}
        preferred = [n for n in names if base[n].upper().startswith("R-")] or names
        name = preferred[0]
        with zf.open(name) as member:  # read bounded: a zip bomb never fills the memory
            xml = member.read(MAX_CDR_XML + 1)
        if len(xml) > MAX_CDR_XML:
            raise CdrParseError(f"el XML del CDR supera {MAX_CDR_XML // (1024 * 1024)} MB")
    return parse_cdr_xml(xml, raw_zip=data, filename=base[name])


def parse_cdr(data: bytes) -> CdrResult:
    """Parse either a CDR zip or a bare CDR XML."""
    if data[:2] == b"PK":
        return parse_cdr_zip(data)
    return parse_cdr_xml(data)


__all__ = [
    "CdrNote",
    "CdrParseError",
    "CdrResult",
    "CdrState",
    "parse_cdr",
    "parse_cdr_xml",
    "parse_cdr_zip",
]
