"""A convenio's orders across sedes, its balance per sede (overdue by credit days) and its
monthly statement (xlsx and PDF), over real ``sync_record`` rows."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.ids import sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay

NOW = dt.datetime(2027, 1, 15, 15, 0, tzinfo=dt.UTC)
S01, S02 = sede_id_for("S01"), sede_id_for("S02")


@pytest.fixture
def setup(hub_runtime: HubRuntime, hub_client: TestClient) -> dict[str, Any]:
    hub_runtime.clock = FixedClock(NOW)
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    admin = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.post(
        "/api/convenios",
        json={"ruc": "20503123453", "name": "SALUD PLUS EPS S.A.", "coverage_pct": "80",
              "credit_days": 30},
        headers=admin,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    conv = r.json()["id"]
    # November at S01 (due 30/12: overdue by 15/01), December at S01 and S02 (due 30/01)
    nov = SedeDay(hub_runtime.engine, "S01", dt.date(2026, 11, 20))
    nov.order("100.00", covered="80.00", convenio_id=conv)
    nov.order("50.00", covered="40.00", convenio_id=conv, status="anulada")
    nov.order("70.00")  # no convenio
    nov.push_day(seal=False)
    dec1 = SedeDay(hub_runtime.engine, "S01", dt.date(2026, 12, 3))
    dec1.order("200.00", covered="160.00", convenio_id=conv)
    dec1.push_day(seal=False)
    dec2 = SedeDay(hub_runtime.engine, "S02", dt.date(2026, 12, 28))
    dec2.order("30.00", covered="24.00", convenio_id=conv)
    dec2.push_day(seal=False)
    return {"conv": conv, "admin": admin}


def test_orders_across_sedes_and_the_balance(
    hub_client: TestClient, hub_runtime: HubRuntime, setup: dict[str, Any]
) -> None:
    conv, admin = setup["conv"], setup["admin"]
    r = hub_client.get(
        f"/api/convenios/{conv}/orders",
        params={"from": "2026-11-01", "to": "2026-12-31"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 4
    assert [(o["sede_code"], o["covered"]) for o in body["items"]] == [
        ("S01", "80.00"), ("S01", "0.00"), ("S01", "160.00"), ("S02", "24.00"),
    ]  # fmt: skip
    assert body["covered_total"] == "264.00"
    assert body["items"][0]["due_date"] == "2026-12-30"
    assert body["items"][0]["patient_part"] == "20.00"

    r = hub_client.get(f"/api/convenios/{conv}/balance", headers=admin)
    assert r.status_code == 200, r.text
    bal = r.json()
    # no factura yet: everything covered is "not invoiced" and nothing is due
    assert (bal["covered"], bal["not_invoiced"], bal["invoiced"]) == ("264.00", "264.00", "0.00")
    assert (bal["balance"], bal["overdue"], bal["not_due"]) == ("264.00", "0.00", "0.00")
    per = {s["sede_code"]: (s["orders"], s["covered"], s["balance"]) for s in bal["sedes"]}
    assert per == {"S01": (2, "240.00", "240.00"), "S02": (1, "24.00", "24.00")}

    supervisor = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S02])
    mine = hub_client.get(f"/api/convenios/{conv}/balance", headers=supervisor).json()
    assert [s["sede_code"] for s in mine["sedes"]] == ["S02"]
    other = hub_client.get(
        f"/api/convenios/{conv}/orders",
        params={"from": "2026-11-01", "to": "2026-12-31", "sede": S01},
        headers=supervisor,
    )
    assert other.status_code == 403
    cashier = auth_headers(hub_runtime, Role.RECEPCIONISTA)
    assert hub_client.get(f"/api/convenios/{conv}/balance", headers=cashier).status_code == 403


def test_monthly_statement_xlsx_and_pdf(
    hub_client: TestClient, hub_runtime: HubRuntime, setup: dict[str, Any]
) -> None:
    conv, admin = setup["conv"], setup["admin"]
    url = f"/api/convenios/{conv}/statement"
    r = hub_client.get(url, params={"month": "2026-12"}, headers=admin)
    assert r.status_code == 200, r.text
    assert "estado-cuenta-20503123453-2026-12.xlsx" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    summary = [[c.value for c in row] for row in wb["Resumen"].iter_rows()]
    # sede, orders of the month, opening, covered in the month, invoiced, not invoiced,
    # overdue, closing balance
    assert ["S01", 1, 80, 160, 0, 240, 0, 240] in summary
    assert ["S02", 1, 0, 24, 0, 24, 0, 24] in summary
    assert ["Total", 2, 80, 184, 0, 264, 0, 264] in summary
    detail = [[c.value for c in row] for row in wb["Órdenes"].iter_rows()]
    assert sum(1 for row in detail if row and row[2] and str(row[2]).startswith("S0")) == 2
    pdf = hub_client.get(url, params={"month": "2026-11", "format": "pdf"}, headers=admin)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = hub_client.get(url, params={"month": "2026-13"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "month_invalid"
    worse = hub_client.get(url, params={"month": "noviembre"}, headers=admin)
    assert worse.status_code == 422
    missing = hub_client.get(
        "/api/convenios/nada/statement", params={"month": "2026-12"}, headers=admin
    )
    assert missing.status_code == 404
    with hub_runtime.engine.connect() as conn:
        audits = conn.execute(
            text("SELECT count(*) FROM hub_audit_event WHERE action = 'convenio.statement'")
        ).scalar_one()
    assert audits == 2
