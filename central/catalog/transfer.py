"""The catalog as a spreadsheet: its columns and the export (xlsx or csv).

The same file, edited, comes back through :mod:`central.catalog.transfer_plan` (preview) and
:mod:`central.catalog.transfer_apply`. One row per test or panel, Spanish headers; the category
is its code and a panel's tests are their codes. The xlsx is written by the reports' writer
(:func:`central.reports.export.to_xlsx`, which keeps text such as ``=HYPERLINK(..)`` a string);
the csv (UTF-8 with BOM, ``,``) prefixes an apostrophe to any cell that a spreadsheet would
take for a formula (``= + - @``, tab, carriage return), and the import takes it off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from central.catalog.models import CatalogCategory, CatalogPrice, CatalogService
from central.reports.export import XLSX_MEDIA, Sheet, to_xlsx
from domain.clock import Clock, business_date
from domain.money import from_cents

CSV_MEDIA = "text/csv; charset=utf-8"
FORMATS = {"xlsx": XLSX_MEDIA, "csv": CSV_MEDIA}
SHEET_TITLE = "Catálogo"

#: (field, Spanish header) in file order. The headers are what the import looks for.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Código"),
    ("name", "Nombre"),
    ("kind", "Tipo"),
    ("category", "Categoría"),
    ("sample_type", "Tipo de muestra"),
    ("tube", "Tubo"),
    ("loinc", "LOINC"),
    ("igv", "Afectación IGV"),
    ("turnaround", "Tiempo de entrega (horas)"),
    ("active", "Activo"),
    ("price", "Precio (S/)"),
    ("scheduled_price", "Precio programado (S/)"),
    ("scheduled_from", "Programado desde"),
    ("members", "Exámenes del perfil"),
)
HEADER = dict(COLUMNS)
KIND_TEST, KIND_PANEL = "Examen", "Perfil"
YES, NO = "Sí", "No"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    media_type: str
    count: int


def catalog_rows(*, session: Session) -> list[list[Any]]:
    """Every test then every panel (by code), one list of cells per row in ``COLUMNS`` order."""
    services = session.exec(
        select(CatalogService).order_by(col(CatalogService.is_panel), col(CatalogService.code))
    ).all()
    categories = {c.id: c.code for c in session.exec(select(CatalogCategory)).all()}
    codes = {s.id: s.code for s in services}
    scheduled: dict[str, CatalogPrice] = {}
    pending = session.exec(
        select(CatalogPrice)
        .where(CatalogPrice.status == "scheduled")
        .order_by(col(CatalogPrice.effective_from), col(CatalogPrice.created_at))
    ).all()
    for price in pending:
        scheduled.setdefault(price.service_id, price)
    rows: list[list[Any]] = []
    for s in services:
        nxt = scheduled.get(s.id)
        rows.append(
            [
                s.code,
                s.name,
                KIND_PANEL if s.is_panel else KIND_TEST,
                categories.get(s.category_id or "", ""),
                s.sample_type,
                s.tube,
                s.loinc,
                s.igv_affectation,
                s.turnaround_hours,
                YES if s.active else NO,
                from_cents(s.price_cents),
                from_cents(nxt.price_cents) if nxt else None,
                nxt.effective_from if nxt else None,
                ", ".join(codes.get(i, i) for i in s.panel_service_ids),
            ]
        )
    return rows


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: list[list[Any]], headers: list[str] | None = None) -> bytes:
    """UTF-8 with BOM, ``,``; ``headers`` default to the catalog's (``COLUMNS``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers if headers is not None else [header for _, header in COLUMNS])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_catalog(*, session: Session, clock: Clock, fmt: str) -> ExportFile:
    """The whole catalog as ``fmt`` ("xlsx" or "csv") bytes, named by today's Lima date."""
    rows = catalog_rows(session=session)
    today = business_date(clock.now())
    if fmt == "csv":
        content = to_csv(rows)
    else:
        sheet = Sheet(SHEET_TITLE, [header for _, header in COLUMNS], rows)
        subtitle = f"Exportado el {today:%d/%m/%Y}: edite y vuelva a importar (una fila por examen)"
        content = to_xlsx("Catálogo de exámenes y perfiles", [sheet], subtitle=subtitle)
    return ExportFile(content, f"catalogo-{today:%Y%m%d}.{fmt}", FORMATS[fmt], len(rows))
