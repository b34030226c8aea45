"""The "Médicos solicitantes" report: valid orders, urgent orders and total sold per ordering
physician (one per CMP, with their latest name; else one per name; the rest one row "Sin
médico registrado"), over the period and the sedes a user sees. ``rpt_physician_day`` equals a
recomputation from the raw order rows through re-deliveries, cancellations, a deletion and a
rebuild; migration 0007 summarises the orders received before it; the dashboard's report
picker offers the report and its export."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from central.db import unit_of_work
from central.reports import service
from central.reports.physician_tables import group_physicians
from central.reports.schemas import ReportName
from central.runtime import MIGRATIONS, HubRuntime
from central.web.router import PAGES
from domain.clock import FixedClock
from domain.ids import sede_id_for
from domain.permissions import Role
from sync import migrations
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay

NOW = dt.datetime(2026, 11, 30, 4, 59, tzinfo=dt.UTC)
D1, D2 = dt.date(2026, 11, 28), dt.date(2026, 11, 29)
PERIOD = {"from": "2026-11-01", "to": "2026-11-29"}
Key = tuple[str, dt.date, str, str]


@pytest.fixture
def rt(hub_runtime: HubRuntime) -> Iterator[HubRuntime]:
    hub_runtime.clock = FixedClock(NOW)
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    yield hub_runtime


def ordered(
    b: SedeDay, total: str, cmp: str | None, name: str | None, *, urgent: bool = False,
    status: str = "registrada",
) -> dict[str, Any]:  # fmt: skip
    """An order image as an edge of this version replicates it (physician null when none)."""
    row = b.order(total, status=status)
    row |= {"priority": "urgente" if urgent else "rutina", "physician_cmp": cmp,
            "physician_name": name}  # fmt: skip
    return row


def known_orders(rt: HubRuntime) -> tuple[SedeDay, SedeDay, SedeDay]:
    s01d1, s01d2, s02d2 = (SedeDay(rt.engine, "S01", D1), SedeDay(rt.engine, "S01", D2),
                           SedeDay(rt.engine, "S02", D2))  # fmt: skip
    ordered(s01d1, "35.00", "45123", "PÉREZ ROJAS JUAN", urgent=True)
    ordered(s01d2, "47.50", "45123", "PÉREZ ROJAS JUAN CARLOS")  # the name on a later day
    ordered(s02d2, "12.50", "45123", "PÉREZ ROJAS JUAN CARLOS")
    ordered(s01d2, "60.00", None, "ANA ROJAS", urgent=True)  # no CMP: grouped by name
    ordered(s02d2, "10.00", None, "ANA ROJAS")
    old = s01d1.order("20.00")  # from an edge before 0007: no such keys at all
    assert "physician_cmp" not in old and "priority" not in old
    ordered(s01d2, "15.00", None, None)
    later = ordered(s01d2, "100.00", "7788", "LUNA TORRES MARÍA", urgent=True)
    ordered(s01d2, "30.00", "7788", "LUNA TORRES MARÍA", status="anulada")  # cancelled at once
    ordered(s01d2, "80.00", "9001", "QUISPE MAMANI ROSA", urgent=True)
    for b in (s01d1, s01d2, s02d2):
        b.push(b.all_rows())
    s01d2.push(s01d2.all_rows())  # sync delivers a batch twice
    later["status"] = "anulada"  # cancelled after being counted: subtracted
    s01d2.push([("order", later)])
    return s01d1, s01d2, s02d2


def summary(rt: HubRuntime) -> dict[Key, tuple[int, int, int]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT sede_id, business_date, physician_cmp, physician_name, orders, "
                "urgent_orders, total_cents FROM rpt_physician_day WHERE orders <> 0 "
                "OR urgent_orders <> 0 OR total_cents <> 0"
            )
        ).all()
    return {(r[0], r[1], r[2], r[3]): (r[4], r[5], r[6]) for r in rows}


def raw(rt: HubRuntime) -> dict[Key, tuple[int, int, int]]:
    """Independent SQL over the raw order rows: the ones not ``anulada``."""
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT sede_id, business_date::date, coalesce(payload->>'physician_cmp', ''), "
                "coalesce(payload->>'physician_name', ''), count(*), "
                "count(*) FILTER (WHERE payload->>'priority' = 'urgente'), "
                "sum((payload->>'total')::int) FROM sync_record WHERE record_type = 'order' "
                "AND op <> 'delete' AND payload->>'status' <> 'anulada' GROUP BY 1, 2, 3, 4"
            )
        ).all()
    return {(r[0], r[1], r[2], r[3]): (int(r[4]), int(r[5]), int(r[6])) for r in rows}


def report(client: TestClient, headers: dict[str, str], **params: str) -> list[tuple[Any, ...]]:
    r = client.get("/api/reports/physicians", params=PERIOD | params, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["title"] == "Médicos solicitantes"
    return [(x["cmp"], x["name"], x["orders"], x["urgent"], x["total"]) for x in body["rows"]]


def test_orders_per_physician_with_exact_figures(rt: HubRuntime, hub_client: TestClient) -> None:
    known_orders(rt)
    assert report(hub_client, auth_headers(rt)) == [
        ("45123", "PÉREZ ROJAS JUAN CARLOS", 3, 1, "95.00"),
        ("", "ANA ROJAS", 2, 1, "70.00"),
        ("9001", "QUISPE MAMANI ROSA", 1, 1, "80.00"),
        ("", "Sin médico registrado", 2, 0, "35.00"),
    ]
    first_day = {"from": D1.isoformat(), "to": D1.isoformat()}
    assert report(hub_client, auth_headers(rt), **first_day) == [
        ("45123", "PÉREZ ROJAS JUAN", 1, 1, "35.00"),  # the name of that period
        ("", "Sin médico registrado", 1, 0, "20.00"),
    ]
    supervisor = auth_headers(rt, Role.SUPERVISOR, sede_ids=[sede_id_for("S02")])
    assert report(hub_client, supervisor) == [
        ("45123", "PÉREZ ROJAS JUAN CARLOS", 1, 0, "12.50"),
        ("", "ANA ROJAS", 1, 0, "10.00"),
    ]
    r = hub_client.get("/api/reports/physicians", params=PERIOD | {"sede": sede_id_for("S01")},
                       headers=supervisor)  # fmt: skip
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "sede_not_assigned"
    clerk = auth_headers(rt, Role.RECEPCIONISTA)
    assert hub_client.get("/api/reports/physicians", headers=clerk).status_code == 403


def test_projection_equals_a_recomputation_from_the_raw_rows(rt: HubRuntime) -> None:
    _, s01d2, _ = known_orders(rt)
    assert summary(rt) == raw(rt)
    assert ("", "", 0, 0) not in {k[1:] + v[:1] for k, v in summary(rt).items()}
    back = s01d2.orders[-3]  # LUNA's, cancelled: leaving anulada (never by an edge) counts again
    back["status"] = "registrada"
    s01d2.push([("order", back)])
    assert summary(rt) == raw(rt)
    with rt.engine.begin() as conn:  # a deleted record is subtracted
        conn.execute(text("DELETE FROM sync_record WHERE id = :i"), {"i": s01d2.orders[0]["id"]})
    got = summary(rt)
    assert got == raw(rt)
    assert got[(sede_id_for("S01"), D2, "7788", "LUNA TORRES MARÍA")] == (1, 1, 10000)
    with unit_of_work(rt.engine) as session:
        service.rebuild(session=session)
    assert summary(rt) == got


def test_grouping_rules_on_their_own() -> None:
    rows = [
        ("12", "B NAME", D1, 4, 0, 100),
        ("12", "A NAME", D2, 1, 1, 50),  # the latest day wins, whatever the counts
        ("", "", D2, 9, 0, 900),
        ("", "A NAME", D1, 1, 0, 10),  # same name, no CMP: another physician
        ("34", "", D2, 1, 0, 5),  # a CMP without a name (not from an edge): kept, unnamed
    ]
    got = [(r["cmp"], r["name"], r["orders"], r["urgent"], str(r["total"]))
           for r in group_physicians(rows)]  # fmt: skip
    assert got == [
        ("12", "A NAME", 5, 1, "1.50"),
        ("", "A NAME", 1, 0, "0.10"),
        ("34", "", 1, 0, "0.05"),
        ("", "Sin médico registrado", 9, 0, "9.00"),
    ]


def test_migration_0007_summarises_the_orders_received_before_it(
    rt: HubRuntime, hub_client: TestClient
) -> None:
    engine = rt.engine
    cfg = migrations.alembic_config(MIGRATIONS, engine)
    migrations.command.downgrade(cfg, "0006")  # the hub as it was before this version
    with engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('rpt_physician_day')")).scalar() is None
    before = SedeDay(engine, "S01", D1)
    ordered(before, "35.00", "45123", "PÉREZ ROJAS JUAN", urgent=True)
    before.order("20.00")
    before.push(before.all_rows())  # through 0002's triggers, which must still work

    migrations.upgrade(MIGRATIONS, engine)  # what `labred migrate hub` runs
    assert migrations.current_revision(engine) == migrations.head_revision(MIGRATIONS)
    after = SedeDay(engine, "S01", D2)
    ordered(after, "47.50", "45123", "PÉREZ ROJAS JUAN CARLOS")
    after.push(after.all_rows())  # through the new triggers
    assert summary(rt) == raw(rt)
    assert report(hub_client, auth_headers(rt)) == [
        ("45123", "PÉREZ ROJAS JUAN CARLOS", 2, 1, "82.50"),
        ("", "Sin médico registrado", 1, 0, "20.00"),
    ]


def test_the_dashboard_picker_offers_the_report_and_exports_it(
    rt: HubRuntime, hub_client: TestClient
) -> None:
    known_orders(rt)
    page = hub_client.get(PAGES["tablero"][0])
    assert page.status_code == 200
    picker = page.text[page.text.index('<select name="report">') :]
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>',
                              picker[: picker.index("</select>")]))  # fmt: skip
    assert options["physicians"] == "Médicos solicitantes"
    assert set(options) <= set(ReportName.__args__)  # type: ignore[attr-defined]
    assert set(options) - {"dashboard"} <= set(service.REPORTS)
    r = hub_client.post("/api/reports/export", json={"report": "physicians", "format": "xlsx"}
                        | PERIOD, headers=auth_headers(rt))  # fmt: skip
    assert r.status_code == 200, r.text
    assert "physicians-2026-11-01-2026-11-29.xlsx" in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    cells = [tuple(row) for row in ws.iter_rows(min_row=4, values_only=True)]
    assert cells[0] == ("CMP", "Médico", "Órdenes", "Urgentes", "Total vendido")
    assert [c[:4] for c in cells[1:]] == [
        ("45123", "PÉREZ ROJAS JUAN CARLOS", 3, 1),
        (None, "ANA ROJAS", 2, 1),
        ("9001", "QUISPE MAMANI ROSA", 1, 1),
        (None, "Sin médico registrado", 2, 0),
    ]
    pdf = hub_client.post("/api/reports/export", json={"report": "physicians", "format": "pdf"}
                          | PERIOD, headers=auth_headers(rt))  # fmt: skip
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
