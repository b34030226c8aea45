"""Export of patient data to Excel (xlsx): permission ``patient.export``, audited, and every
exported patient written to the access log (Ley 29733)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from domain.clock import LIMA, Clock, business_date
from domain.errors import InvalidInput
from domain.identity import DocType
from edge.audit import service as audit_service
from edge.patients.models import Patient
from edge.patients.service import Actor, log_access

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

MAX_EXPORT_ROWS = 5000
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = (
    "ID",
    "Tipo de documento",
    "Número de documento",
    "Apellidos",
    "Nombres",
    "Fecha de nacimiento",
    "Sexo",
    "Teléfono",
    "Correo",
    "Dirección",
    "Registrado (Lima)",
)


@dataclass(frozen=True)
class PatientExport:
    content: bytes
    filename: str
    count: int


def _lima_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=LIMA).astimezone(dt.UTC)


def _label(doc_type: str) -> str:
    try:
        return DocType(doc_type).label
    except ValueError:
        return doc_type


def _row(p: Patient) -> tuple[object, ...]:
    registered = p.created_at.astimezone(LIMA).replace(tzinfo=None, microsecond=0)
    return (
        p.id,
        _label(p.doc_type),
        p.doc_number,
        p.last_names,
        p.first_names,
        p.birth_date,
        p.sex,
        p.phone,
        p.email,
        p.address,
        registered,
    )


def _text_safe(sheet: WriteOnlyWorksheet, value: object) -> object:
    """``value`` for a cell; text openpyxl would store as a formula (``=HYPERLINK(..)`` typed as
    an address) is written as a plain string cell instead, so a spreadsheet never runs it;
    control characters XML 1.0 cannot carry are dropped (openpyxl would refuse the whole file)."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    return cell


def export_patients(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    registered_from: dt.date | None,
    registered_to: dt.date | None,
) -> PatientExport:
    """Non-merged patients registered between two Lima dates (both included) as xlsx bytes."""
    if registered_from and registered_to and registered_from > registered_to:
        raise InvalidInput(
            "La fecha inicial es posterior a la final.",
            code="date_range_invalid",
            loc=["query", "registered_from"],
        )
    query = select(Patient).where(col(Patient.canonical_id).is_(None))
    if registered_from:
        query = query.where(col(Patient.created_at) >= _lima_start(registered_from))
    if registered_to:
        query = query.where(
            col(Patient.created_at) < _lima_start(registered_to + dt.timedelta(days=1))
        )
    rows = list(
        session.exec(
            query.order_by(
                col(Patient.last_names), col(Patient.first_names), col(Patient.id)
            ).limit(MAX_EXPORT_ROWS + 1)
        ).all()
    )
    if len(rows) > MAX_EXPORT_ROWS:
        raise InvalidInput(
            f"La exportación supera {MAX_EXPORT_ROWS} pacientes: acote el rango de fechas.",
            code="export_too_large",
            loc=["query", "registered_from"],
        )

    from openpyxl import Workbook  # imported for an export: it slows every start of the node

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Pacientes")
    sheet.append(HEADERS)
    for patient in rows:
        sheet.append([_text_safe(sheet, v) for v in _row(patient)])
    buffer = io.BytesIO()
    workbook.save(buffer)

    filters = {
        "registered_from": registered_from.isoformat() if registered_from else None,
        "registered_to": registered_to.isoformat() if registered_to else None,
    }
    audit_service.record(
        session,
        action="patient_export",
        clock=clock,
        sede_id=actor.sede_id,
        user_id=actor.user_id,
        username=actor.username,
        record_type="patient",
        ip=actor.ip,
        details={"count": len(rows), **filters},
    )
    log_access(
        session=session,
        clock=clock,
        actor=actor,
        action="export",
        patient_ids=[p.id for p in rows],
        details={"format": "xlsx", **filters},
    )
    stamp = business_date(clock.now()).strftime("%Y%m%d")
    return PatientExport(buffer.getvalue(), f"pacientes-{stamp}.xlsx", len(rows))
