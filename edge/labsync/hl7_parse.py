"""Reading HL7 v2 with the ``hl7`` package: MLLP frames, ACKs and ORU^R01 results.

Values are read by field index through ``Segment.extract_field`` (which unescapes them); a
missing field reads as "". Anything that is not a well-formed message raises
:class:`HL7Error`, which the listener turns into a NAK.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import hl7
from hl7.containers import Message, Segment

from domain.clock import LIMA

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"


class HL7Error(ValueError):
    """The bytes are not an HL7 v2 message we can read."""


def frame(message: str) -> bytes:
    """MLLP framing: ``0x0B`` + message + ``0x1C 0x0D``."""
    return START_BLOCK + message.encode("utf-8") + END_BLOCK


def unframe(data: bytes) -> str:
    """The message inside one MLLP frame (tolerates a missing start block)."""
    body = data
    if body.startswith(START_BLOCK):
        body = body[1:]
    if body.endswith(END_BLOCK):
        body = body[: -len(END_BLOCK)]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def get(seg: Segment, index: int, comp: int = 1, rep: int = 1, sub: int = 1) -> str:
    """Field ``index`` (component ``comp``, repetition ``rep``) of ``seg``, or ""."""
    try:
        value = seg.extract_field(1, index, rep, comp, sub)
    except (IndexError, KeyError, TypeError):
        return ""
    return str(value) if value is not None else ""


def parse(text: str) -> Message:
    """Parse with ``hl7``; raise :class:`HL7Error` for anything that is not a message."""
    cleaned = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r\x0b\x1c ")
    if not cleaned.startswith("MSH"):
        raise HL7Error("el mensaje no empieza con MSH")
    try:
        msg = hl7.parse(cleaned)
        msh = msg.segment("MSH")
    except Exception as exc:  # noqa: BLE001 - the library raises many kinds for bad input
        raise HL7Error(f"mensaje HL7 ilegible: {exc}") from None
    if not get(msh, 9):
        raise HL7Error("MSH-9 (tipo de mensaje) vacío")
    return msg


def parse_ts(value: str) -> dt.datetime | None:
    """An HL7 timestamp (``YYYYMMDD[HHMM[SS]][+/-ZZZZ]``) as aware UTC; local = Lima."""
    value = value.strip()
    if not value:
        return None
    zone = None
    for sign in ("+", "-"):
        if sign in value[8:]:
            pos = value.rindex(sign)
            value, zone = value[:pos], value[pos:]
            break
    value = value.split(".")[0]
    fmt = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}.get(len(value))
    if fmt is None:
        return None
    try:
        naive = dt.datetime.strptime(value, fmt)
    except ValueError:
        return None
    if zone and len(zone) == 5:
        offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        tz = dt.timezone(offset if zone[0] == "+" else -offset)
        return naive.replace(tzinfo=tz).astimezone(dt.UTC)
    return naive.replace(tzinfo=LIMA).astimezone(dt.UTC)


@dataclass(frozen=True)
class Header:
    message_type: str  # e.g. ORU^R01
    trigger: str
    control_id: str
    version: str
    sending_app: str
    sending_facility: str


def header(msg: Message) -> Header:
    msh = msg.segment("MSH")
    return Header(
        message_type=f"{get(msh, 9, 1)}^{get(msh, 9, 2)}",
        trigger=get(msh, 9, 2),
        control_id=get(msh, 10),
        version=get(msh, 12),
        sending_app=get(msh, 3),
        sending_facility=get(msh, 4),
    )


@dataclass(frozen=True)
class Ack:
    code: str  # AA | AE | AR (or CA/CE/CR in enhanced mode)
    control_id: str  # MSA-2: the MSH-10 it answers
    text: str


def parse_ack(text: str) -> Ack:
    msg = parse(text)
    try:
        msa = msg.segment("MSA")
    except KeyError:
        raise HL7Error("la respuesta no trae MSA") from None
    code = get(msa, 1).upper()
    if code not in {"AA", "AE", "AR", "CA", "CE", "CR"}:
        raise HL7Error(f"MSA-1 desconocido: {code!r}")
    err_text = get(msa, 3)
    if not err_text:
        for err in msg.segments("ERR") if _has(msg, "ERR") else []:
            err_text = get(err, 8) or get(err, 1)
    return Ack(
        code="A" + code[1] if code[0] == "C" else code, control_id=get(msa, 2), text=err_text
    )


def _has(msg: Message, name: str) -> bool:
    return any(str(seg[0]) == name for seg in msg)


@dataclass(frozen=True)
class Observation:
    set_id: str
    value_type: str
    code: str
    name: str
    value: str
    units: str
    reference_range: str
    flag: str
    status: str
    observed_at: dt.datetime | None
    pdf_base64: str = ""


@dataclass
class ResultGroup:
    """One ORC/OBR with its OBX observations."""

    placer: str
    filler: str
    order_number: str
    test_code: str
    test_name: str
    status: str  # OBR-25
    observations: list[Observation] = field(default_factory=list)


@dataclass(frozen=True)
class OruMessage:
    header: Header
    patient_doc: str
    groups: list[ResultGroup]


def parse_oru(text: str) -> OruMessage:
    """An ORU^R01 as groups of (ORC, OBR, OBX...). Raises :class:`HL7Error` if malformed."""
    msg = parse(text)
    head = header(msg)
    if head.message_type != "ORU^R01":
        raise HL7Error(f"tipo de mensaje no soportado: {head.message_type}")
    patient_doc = ""
    groups: list[ResultGroup] = []
    order_number = ""
    for seg in msg:
        name = str(seg[0])
        if name == "PID":
            patient_doc = get(seg, 3)
        elif name == "ORC":
            order_number = get(seg, 4)
        elif name == "OBR":
            groups.append(
                ResultGroup(
                    placer=get(seg, 2),
                    filler=get(seg, 3),
                    order_number=order_number,
                    test_code=get(seg, 4, 1),
                    test_name=get(seg, 4, 2),
                    status=get(seg, 25),
                )
            )
        elif name == "OBX":
            if not groups:
                raise HL7Error("OBX sin OBR previo")
            value_type = get(seg, 2)
            pdf = ""
            value = get(seg, 5)
            if value_type == "ED":  # ^application^pdf^Base64^<data>
                pdf = get(seg, 5, 5)
                value = "PDF"
            groups[-1].observations.append(
                Observation(
                    set_id=get(seg, 1),
                    value_type=value_type,
                    code=get(seg, 3, 1),
                    name=get(seg, 3, 2),
                    value=value,
                    units=get(seg, 6, 1),
                    reference_range=get(seg, 7),
                    flag=get(seg, 8),
                    status=get(seg, 11) or groups[-1].status,
                    observed_at=parse_ts(get(seg, 14)),
                    pdf_base64=pdf,
                )
            )
    if not groups:
        raise HL7Error("el ORU^R01 no trae OBR")
    for g in groups:
        if not g.placer:
            raise HL7Error("OBR-2 (número de orden del solicitante) vacío")
    return OruMessage(header=head, patient_doc=patient_doc, groups=groups)
