"""Builders for the catalog import/export tests: a small catalog and files in csv or xlsx."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlmodel import select

from central.catalog import service
from central.catalog.models import CatalogPrice, CatalogService
from central.catalog.schemas import CategoryCreate, CategoryUpdate, ServiceCreate
from central.catalog.transfer import COLUMNS
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.clock import FixedClock

T0 = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in Lima, 29/11/2026
CLOCK = FixedClock(T0)
HEADERS = [header for _, header in COLUMNS]


def small_catalog(rt: HubRuntime) -> None:
    """HEM and BIO (and an inactive OLD) categories; HEM-001 S/ 35.00, BIO-010 S/ 12.50,
    BIO-020 S/ 15.00 (inactive) and the panel PAN-01 (HEM-001 + BIO-010) S/ 40.00."""
    with unit_of_work(rt.engine) as s:
        ids = {}
        for code, name in (("HEM", "Hematología"), ("BIO", "Bioquímica"), ("OLD", "Antigua")):
            made_cat = service.create_category(
                session=s, clock=CLOCK, actor=None, data=CategoryCreate(code=code, name=name)
            )
            ids[code] = made_cat.id
        service.update_category(
            session=s, clock=CLOCK, actor=None, category_id=ids["OLD"],
            data=CategoryUpdate(active=False),
        )  # fmt: skip
        made = {}
        for code, name, cat, price, active in (
            ("HEM-001", "Hemograma completo", "HEM", Decimal("35.00"), True),
            ("BIO-010", "Glucosa basal", "BIO", Decimal("12.50"), True),
            ("BIO-020", "Colesterol total", "BIO", Decimal("15.00"), False),
        ):
            row = service.create_service(
                session=s, clock=CLOCK, actor=None,
                data=ServiceCreate(code=code, name=name, category_id=ids[cat], price=price,
                                   sample_type="Suero", tube="Rojo", turnaround_hours=4,
                                   active=active),
            )  # fmt: skip
            made[code] = row.id
        service.create_service(
            session=s, clock=CLOCK, actor=None,
            data=ServiceCreate(code="PAN-01", name="Perfil básico", price=Decimal("40.00"),
                               is_panel=True, category_id=ids["HEM"],
                               panel_service_ids=[made["HEM-001"], made["BIO-010"]]),
        )  # fmt: skip


def csv_file(rows: list[list[Any]], *, sep: str = ",", bom: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([["" if v is None else str(v) for v in r] for r in rows])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def xlsx_file(rows: list[list[Any]], *, title_rows: int = 0) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for _ in range(title_rows):
        ws.append(["Catálogo"])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(code: str, /, **cells: Any) -> list[Any]:
    """A full row of the small catalog's ``code`` as exported, with ``cells`` (by field)."""
    base = {
        "HEM-001": ["HEM-001", "Hemograma completo", "Examen", "HEM", "Suero", "Rojo", "", "10",
                    "4", "Sí", "35.00", "", "", ""],
        "BIO-010": ["BIO-010", "Glucosa basal", "Examen", "BIO", "Suero", "Rojo", "", "10", "4",
                    "Sí", "12.50", "", "", ""],
        "BIO-020": ["BIO-020", "Colesterol total", "Examen", "BIO", "Suero", "Rojo", "", "10",
                    "4", "No", "15.00", "", "", ""],
        "PAN-01": ["PAN-01", "Perfil básico", "Perfil", "HEM", "", "", "", "10", "24", "Sí",
                   "40.00", "", "", "HEM-001, BIO-010"],
    }.get(code, [code, "Nuevo examen", "Examen", "BIO", "Suero", "", "", "10", "24", "Sí",
                 "10.00", "", "", ""])  # fmt: skip
    fields = [f for f, _ in COLUMNS]
    out = list(base)
    for name, value in cells.items():
        out[fields.index(name)] = value
    return out


def service_by_code(rt: HubRuntime, code: str) -> CatalogService | None:
    with unit_of_work(rt.engine) as s:
        found = s.exec(select(CatalogService).where(CatalogService.code == code)).first()
        if found is not None:
            s.expunge(found)
        return found


def prices_of(rt: HubRuntime, code: str) -> list[tuple[int, str, str, dt.date]]:
    svc = service_by_code(rt, code)
    assert svc is not None
    with unit_of_work(rt.engine) as s:
        rows = s.exec(select(CatalogPrice).where(CatalogPrice.service_id == svc.id)).all()
        return sorted((p.price_cents, p.status, p.reason, p.effective_from) for p in rows)
