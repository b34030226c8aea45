"""Builders for the convenio price list tests: the small catalog, a convenio, files."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy import text

from central.convenios import service as convenios
from central.convenios.models import Convenio
from central.convenios.price_transfer import COLUMNS
from central.convenios.schemas import ConvenioCreate
from central.db import unit_of_work
from central.runtime import HubRuntime
from tests.central.catalog.transfer_helpers import CLOCK, service_by_code, small_catalog

HEADERS = [header for _, header in COLUMNS]
RUC = "20503123453"


def catalog_and_convenio(rt: HubRuntime) -> str:
    """The catalog's small catalog (HEM-001 S/ 35.00, BIO-010 S/ 12.50, BIO-020 S/ 15.00
    inactive, PAN-01 S/ 40.00) and a convenio paying HEM-001 S/ 30.00 and PAN-01 S/ 38.00."""
    small_catalog(rt)
    ids = {code: sid(rt, code) for code in ("HEM-001", "PAN-01")}
    with unit_of_work(rt.engine) as s:
        made = convenios.create_convenio(
            session=s, clock=CLOCK, actor=None,
            data=ConvenioCreate(ruc=RUC, name="SALUD PLUS EPS S.A.", coverage_pct=Decimal("80"),
                                prices={ids["HEM-001"]: Decimal("30.00"),
                                        ids["PAN-01"]: Decimal("38.00")}),
        )  # fmt: skip
        return made.id


def sid(rt: HubRuntime, code: str) -> str:
    found = service_by_code(rt, code)
    assert found is not None, code
    return found.id


def prices(rt: HubRuntime, convenio_id: str) -> dict[str, int]:
    """The convenio's prices by test code."""
    with unit_of_work(rt.engine) as s:
        row = s.get(Convenio, convenio_id)
        assert row is not None
        agreed = dict(row.prices_cents)
    codes = {sid(rt, c): c for c in ("HEM-001", "BIO-010", "BIO-020", "PAN-01")}
    return {codes.get(k, k): v for k, v in agreed.items()}


def feed_count(rt: HubRuntime) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM sync_change_feed")).scalar_one())


def line(code: str, price: Any = "", name: str = "") -> list[Any]:
    return [code, name or f"Examen {code}", "Examen", "", price]


def csv_prices(rows: list[list[Any]], *, sep: str = ",", bom: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([["" if v is None else str(v) for v in r] for r in rows])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def xlsx_prices(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Tarifario"])
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
