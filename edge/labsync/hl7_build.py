"""HL7 v2 messages built by field index: OML^O21 (v2.5.1) and ORM^O01 (v2.3.1) orders, ACKs.

Segments are assembled from ``{field index: value}`` maps, where a value is a string, a list
of components, or a list of repetitions (``Rep``); every component is escaped (``\\F\\``,
``\\S\\``, ``\\T\\``, ``\\R\\``, ``\\E\\``), so a patient called "O'Brien | Ñuñez" cannot
shift a field. Nothing here does I/O or reads a clock: callers pass every value.

The layout follows ../shared/notes/domain.md section 2: PID-3 carries the national id (DNI,
``NNPER``) and our own record number (``MR``); each test is one ORC/OBR pair with its placer
number (ORC-2/OBR-2), the order number as placer group (ORC-4), the laboratory's code in
OBR-4, the priority (TQ1-9 in 2.5.1, OBR-27.6 in 2.3.1) and the specimen (SPM in 2.5.1 with
the tube barcode in SPM-2; OBR-15 plus the barcode in OBR-18 in 2.3.1), and the ordering
physician (médico solicitante) with their CMP in ORC-12 and OBR-16.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain.clock import LIMA

SENDING_APP = "LABRED"
FIELD_SEP = "|"
ENCODING = "^~\\&"
SEGMENT_SEP = "\r"


class Rep(list[object]):
    """A repeating field: each element is one repetition (a string or a component list)."""


FieldValue = str | Sequence[str] | Rep | None


def escape(value: str) -> str:
    """Escape HL7 delimiters in a plain text value (escape char first)."""
    return (
        value.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def _component(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return escape(value)
    return "^".join(escape(part) for part in value).rstrip("^")


def _field(value: FieldValue) -> str:
    if value is None:
        return ""
    if isinstance(value, Rep):
        return "~".join(_component(rep) for rep in value)  # type: ignore[arg-type]
    return _component(value)


def segment(name: str, fields: Mapping[int, FieldValue]) -> str:
    """One segment from ``{index: value}``; indexes are the standard's field numbers."""
    if name == "MSH":
        raise ValueError("use msh() for the header segment")
    last = max(fields, default=0)
    parts = [name] + [_field(fields.get(i)) for i in range(1, last + 1)]
    return FIELD_SEP.join(parts)


def msh(fields: Mapping[int, FieldValue]) -> str:
    """The MSH segment; MSH-1 and MSH-2 are the separators, so numbering starts at MSH-3."""
    last = max(fields, default=2)
    parts = ["MSH", ENCODING] + [_field(fields.get(i)) for i in range(3, last + 1)]
    return FIELD_SEP.join(parts)


def hl7_ts(instant: dt.datetime | None) -> str:
    """A timestamp in Lima time with its offset (``20250314093012-0500``)."""
    if instant is None:
        return ""
    return instant.astimezone(LIMA).strftime("%Y%m%d%H%M%S%z")


# HL7 table 0487 (specimen type) for the sample types of our catalog
SPECIMEN_CODES: dict[str, tuple[str, str]] = {
    "suero": ("SER", "Suero"),
    "sangre total": ("WB", "Sangre total"),
    "plasma": ("PLAS", "Plasma"),
    "plasma citratado": ("PLAS", "Plasma citratado"),
    "orina": ("UR", "Orina"),
    "heces": ("STL", "Heces"),
    "esputo": ("SPT", "Esputo"),
    "secreción faríngea": ("THRT", "Secreción faríngea"),
}

DOC_ID_TYPES: dict[str, tuple[str, str]] = {  # SUNAT doc type -> (authority, HL7 table 0203)
    "1": ("RENIEC", "NNPER"),
    "4": ("MIGRACIONES", "PRC"),
    "7": ("MIGRACIONES", "PPN"),
    "6": ("SUNAT", "TAX"),
}

SEX_CODES = {"F": "F", "M": "M", "X": "O"}


@dataclass(frozen=True)
class PatientInfo:
    id: str
    doc_type: str
    doc_number: str
    first_names: str
    last_names: str
    birth_date: dt.date | None
    sex: str | None


@dataclass(frozen=True)
class TestLine:
    control: str  # NW | XO | CA
    placer: str
    code: str
    loinc: str
    name: str
    sample_type: str = ""
    barcode: str = ""
    collected_at: dt.datetime | None = None


@dataclass(frozen=True)
class OrderMessage:
    control_id: str
    version: str  # 2.5.1 | 2.3.1
    message_type: str  # OML_O21 | ORM_O01
    sede_code: str
    receiving_app: str
    order_number: str
    created_at: dt.datetime
    patient: PatientInfo
    priority: str = "R"  # R routine | S stat
    entered_by: str = ""
    tests: list[TestLine] = field(default_factory=list)
    physician_cmp: str = ""  # médico solicitante (domain.physician)
    physician_name: str = ""


def _ordering_provider(m: OrderMessage) -> list[str] | str:
    """XCN of ORC-12/OBR-16: ``cmp^name^^^^^^^CMP`` (ID, family name, ..., assigning
    authority), the whole name in the family-name component as it was written."""
    if not m.physician_name:
        return ""
    authority = "CMP" if m.physician_cmp else ""
    return [m.physician_cmp, m.physician_name, "", "", "", "", "", "", authority]


def _test_code(t: TestLine) -> list[str]:
    if t.code and t.loinc:
        return [t.code, t.name, "L", t.loinc, t.name, "LN"]
    if t.loinc:
        return [t.loinc, t.name, "LN"]
    return [t.code, t.name, "L"]


def _pid(p: PatientInfo) -> str:
    authority, id_type = DOC_ID_TYPES.get(p.doc_type, ("", "NI"))
    given = p.first_names.split()
    return segment(
        "PID",
        {
            1: "1",
            3: Rep([[p.doc_number, "", "", authority, id_type], [p.id, "", "", SENDING_APP, "MR"]]),
            5: [p.last_names.strip(), given[0] if given else "", " ".join(given[1:])],
            7: p.birth_date.strftime("%Y%m%d") if p.birth_date else "",
            8: SEX_CODES.get(p.sex or "", "U"),
        },
    )


def _specimen(t: TestLine) -> tuple[str, str]:
    return SPECIMEN_CODES.get(t.sample_type.strip().lower(), ("", t.sample_type))


def build_order(m: OrderMessage) -> str:
    """The whole order message (segments joined by ``\\r``)."""
    oml = m.message_type == "OML_O21"
    msg_type = ["OML", "O21", "OML_O21"] if oml else ["ORM", "O01"]
    ts = hl7_ts(m.created_at)
    segments = [
        msh(
            {
                3: SENDING_APP,
                4: m.sede_code,
                5: m.receiving_app,
                7: ts,
                9: msg_type,
                10: m.control_id,
                11: "P",
                12: m.version,
                15: "AL",
                16: "NE",
                17: "PER",
                18: "UNICODE UTF-8",
            }
        ),
        _pid(m.patient),
        segment("PV1", {2: "O", 3: m.sede_code, 19: m.order_number}),
    ]
    for i, t in enumerate(m.tests, start=1):
        code_type, code_name = _specimen(t)
        collected = hl7_ts(t.collected_at)
        segments.append(
            segment(
                "ORC",
                {
                    1: t.control,
                    2: [t.placer, SENDING_APP],
                    4: [m.order_number, SENDING_APP],
                    5: "CA" if t.control == "CA" else "SC",
                    9: ts,
                    10: m.entered_by,
                    12: _ordering_provider(m),
                },
            )
        )
        if oml:
            segments.append(segment("TQ1", {1: "1", 9: m.priority}))
            segments.append(
                segment(
                    "OBR",
                    {
                        1: str(i),
                        2: [t.placer, SENDING_APP],
                        4: _test_code(t),
                        7: collected,
                        16: _ordering_provider(m),
                    },
                )
            )
            if t.barcode or code_type:
                segments.append(
                    segment(
                        "SPM",
                        {
                            1: "1",
                            2: [t.barcode, SENDING_APP] if t.barcode else "",
                            4: [code_type, code_name, "HL70487"] if code_type else "",
                            17: collected,
                        },
                    )
                )
        else:
            obr15 = f"{escape(code_type)}&{escape(code_name)}&HL70070" if code_type else ""
            obr = segment(
                "OBR",
                {
                    1: str(i),
                    2: [t.placer, SENDING_APP],
                    4: _test_code(t),
                    5: m.priority,
                    7: collected,
                    16: _ordering_provider(m),
                    18: t.barcode,
                    27: ["", "", "", "", "", m.priority],
                },
            )
            if obr15:  # OBR-15 holds subcomponents (&), which _field would escape
                parts = obr.split(FIELD_SEP)
                parts[15] = obr15
                obr = FIELD_SEP.join(parts)
            segments.append(obr)
    return SEGMENT_SEP.join(segments)


def build_ack(
    *,
    ack_code: str,
    acked_control_id: str,
    control_id: str,
    version: str,
    trigger: str,
    sending_facility: str,
    receiving_app: str = "",
    receiving_facility: str = "",
    now: dt.datetime,
    text: str = "",
) -> str:
    """An ACK (MSA-1 ``AA``/``AE``/``AR``, MSA-2 echoing the message's MSH-10, MSA-3 text)."""
    header = msh(
        {
            3: SENDING_APP,
            4: sending_facility,
            5: receiving_app,
            6: receiving_facility,
            7: hl7_ts(now),
            9: ["ACK", trigger, "ACK"] if trigger else "ACK",
            10: control_id,
            11: "P",
            12: version or "2.5.1",
        }
    )
    msa = segment("MSA", {1: ack_code, 2: acked_control_id, 3: text[:80]})
    segs = [header, msa]
    if ack_code != "AA" and text:
        segs.append(segment("ERR", {3: "207" if ack_code == "AE" else "200", 4: "E", 8: text}))
    return SEGMENT_SEP.join(segs)
