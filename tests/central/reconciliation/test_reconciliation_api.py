"""Daily reconciliation over real ``sync_record`` rows in PostgreSQL, through the HTTP API."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.sync import service as sync_service
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.catalog.convenio_builders import factura
from tests.central.reconciliation.builders import DAY, SedeDay

CLOSE_TIME = dt.datetime(2026, 11, 30, 4, 59, tzinfo=dt.UTC)  # 23:59 Lima
S01 = sede_id_for("S01")


@pytest.fixture
def rt(hub_runtime: HubRuntime) -> Iterator[HubRuntime]:
    hub_runtime.clock = FixedClock(CLOSE_TIME)
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    yield hub_runtime


@pytest.fixture
def admin(rt: HubRuntime) -> dict[str, str]:
    return auth_headers(rt, Role.ADMIN)


def clean_day(rt: HubRuntime, n: int = 3) -> SedeDay:
    day = SedeDay(rt.engine, "S01")
    cash = 0
    for i in range(n):
        order = day.order(f"{40 + i}.00", status="muestra_tomada")
        day.payment(order)
        day.invoice(order)
        day.sample(order)
        cash += order["paid_total"]
    day.cash_session({"efectivo": cash + 10000}, {"efectivo": cash + 10000})
    return day


def execute(client: TestClient, headers: dict[str, str], sede: str = S01) -> dict[str, Any]:
    r = client.post(
        "/api/reconciliation/execute",
        json={"sede_id": sede, "date": DAY.isoformat()},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_without_the_seal_the_day_is_pending_data(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    day = clean_day(rt)
    day.push_day(seal=False)
    body = execute(hub_client, admin)
    assert body["status"] == "pending_data"
    assert body["closed_at"] is None and body["discrepancies"] == []
    assert body["figures"]["orders"]["count"] == 3
    with unit_of_work(rt.engine) as session:  # the ingest does not see it as closed
        assert sync_service._closed_days(session, {(S01, DAY.isoformat())}) == set()


def test_a_clean_day_is_reconciled_and_rerunning_changes_nothing(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    clean_day(rt).push_day()
    first = execute(hub_client, admin)
    assert first["status"] == "reconciled", first["discrepancies"]
    assert first["figures"]["orders"] == {
        "count": 3,
        "total_cents": 12300,
        "by_status": {"muestra_tomada": {"count": 3, "total_cents": 12300}},
    }
    assert first["method_totals"]["efectivo"]["payments_cents"] == 12300
    second = execute(hub_client, admin)
    assert second["id"] == first["id"] and second["runs"] == 2
    same = ("status", "figures", "seal_figures", "discrepancies", "late_adjustments", "closed_at")
    assert {k: second[k] for k in same} == {k: first[k] for k in same}
    with unit_of_work(rt.engine) as session:  # now the ingest flags later rows as late
        assert sync_service._closed_days(session, {(S01, DAY.isoformat())}) == {
            (S01, DAY.isoformat())
        }


def test_counts_that_do_not_match_the_seal_list_the_missing_orders(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    day = clean_day(rt, n=3)
    figures = day.figures()
    lost = day.orders.pop(1)  # order 0002 never reached the hub, nor its payment
    day.payments = [p for p in day.payments if p["order_id"] != lost["id"]]
    day.invoices = [i for i in day.invoices if i["order_id"] != lost["id"]]
    day.push(day.all_rows())
    day.push([("day_seal", day.seal(figures))])
    body = execute(hub_client, admin)
    assert body["status"] == "with_discrepancies"
    by_key = {d["key"]: d for d in body["discrepancies"]}
    orders = by_key["seal_mismatch:orders.count"]
    assert orders["severity"] == "critical"
    assert (orders["details"]["expected"], orders["details"]["actual"]) == (3, 2)
    assert orders["amount"] is None
    assert orders["details"]["missing"] == ["S01-20261129-0002"]
    assert "S01-20261129-0002" in orders["record_ids"]
    kinds = {d["key"] for d in body["discrepancies"]}
    assert {"seal_mismatch:payments.total_cents", "series_gap:B001"} <= kinds


def test_every_rule_becomes_a_discrepancy_with_ids(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    day = SedeDay(rt.engine, "S01")
    paid_no_doc = day.order("30.00")
    day.payment(paid_no_doc)
    rejected_order = day.order("20.00")
    day.payment(rejected_order, method="tarjeta")
    rejected = day.invoice(rejected_order, state="rechazado")
    late_order = day.order("25.00")
    day.payment(late_order, method="yape")
    overdue = day.invoice(late_order, state="pendiente", deadline=DAY - dt.timedelta(days=1))
    orphan = day.invoice(None, number=5, total=990)  # B001-3 and B001-4 missing
    short = day.cash_session({"efectivo": 13000, "tarjeta": 2000, "yape": 2500},
                             {"efectivo": 10000, "tarjeta": 2000, "yape": 2000})  # fmt: skip
    day.push_day()
    body = execute(hub_client, admin)
    found = {d["key"]: d for d in body["discrepancies"]}
    assert found["paid_without_document"]["record_ids"] == [paid_no_doc["id"]]
    assert found["document_rejected"]["record_ids"] == [rejected["id"]]
    assert found["document_unsent_past_deadline"]["record_ids"] == [overdue["id"]]
    assert found["document_without_order"]["record_ids"] == [orphan["id"]]
    assert found["series_gap:B001"]["record_ids"] == ["B001-3", "B001-4"]
    assert found[f"cash:{short['id']}"]["kind"] == "cash_short"
    assert found[f"cash:{short['id']}"]["amount"] == "-35.00"  # the session's whole difference
    assert found["method_difference:yape"]["amount"] == "-5.00"
    assert "method_difference:tarjeta" not in found
    assert body["critical_count"] == sum(1 for d in found.values() if d["severity"] == "critical")
    listed = hub_client.get(
        "/api/reconciliation/discrepancies", params={"severity": "critical"}, headers=admin
    ).json()
    assert listed["total"] == body["critical_count"]


def test_late_rows_are_adjustments_never_a_silent_rewrite(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    day = clean_day(rt)
    day.push_day()
    first = execute(hub_client, admin)
    assert first["status"] == "reconciled"
    extra = day.order("99.00")
    late_pay = day.payment(extra)
    after = CLOSE_TIME + dt.timedelta(minutes=10)
    day.push([("order", extra), ("payment", late_pay)], received_at=after, late=True)
    rt.clock.advance(dt.timedelta(minutes=15))  # type: ignore[attr-defined]
    body = execute(hub_client, admin)
    assert body["figures"] == first["figures"]  # frozen
    assert body["status"] == "with_discrepancies" and body["has_late_adjustments"]
    assert {(r["record_type"], r["id"]) for r in body["late_adjustments"]} == {
        ("order", extra["id"]),
        ("payment", late_pay["id"]),
    }
    assert body["adjusted_figures"]["orders"]["count"] == 4
    late = [d for d in body["discrepancies"] if d["kind"] == "late_records"]
    assert len(late) == 1 and f"payment:{late_pay['id']}" in late[0]["record_ids"]
    again = execute(hub_client, admin)  # idempotent
    assert again["discrepancies"] == body["discrepancies"]
    assert again["late_adjustments"] == body["late_adjustments"]


def test_a_supervisor_reopens_with_a_reason_and_the_next_run_absorbs_late_rows(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    day = clean_day(rt)
    day.push_day()
    closure = execute(hub_client, admin)
    extra = day.order("10.00", paid="0.00")
    day.push([("order", extra)], received_at=CLOSE_TIME + dt.timedelta(minutes=5), late=True)
    rt.clock.advance(dt.timedelta(minutes=10))  # type: ignore[attr-defined]
    assert execute(hub_client, admin)["has_late_adjustments"]
    supervisor = auth_headers(rt, Role.SUPERVISOR, sede_ids=[S01])
    url = f"/api/reconciliation/closures/{closure['id']}/reopen"
    r = hub_client.post(url, json={"reason": "no"}, headers=supervisor)
    assert r.status_code == 422
    r = hub_client.post(url, json={"reason": "Llegó una orden tardía"}, headers=supervisor)
    assert r.status_code == 200, r.text
    assert (
        r.json()["status"] == "reopened" and r.json()["reopen_reason"] == "Llegó una orden tardía"
    )
    again = hub_client.post(url, json={"reason": "otra vez"}, headers=supervisor)
    assert again.status_code == 409
    assert again.json()["detail"][0]["type"] == "closure_already_reopened"
    with rt.engine.connect() as conn:
        audit = conn.execute(
            text("SELECT details FROM hub_audit_event WHERE action = 'reconciliation.reopen'")
        ).scalar_one()
    assert audit["reason"] == "Llegó una orden tardía"
    rt.clock.advance(dt.timedelta(minutes=5))  # type: ignore[attr-defined]
    body = execute(hub_client, admin)
    assert body["figures"]["orders"]["count"] == 4
    assert body["late_adjustments"] == [] and body["reopen_count"] == 1
    # the seal still says 3 orders: the re-run reports the difference
    assert any(d["key"] == "seal_mismatch:orders.count" for d in body["discrepancies"])


def test_supervisors_see_only_their_sedes(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    clean_day(rt).push_day()
    closure = execute(hub_client, admin)
    other = auth_headers(rt, Role.SUPERVISOR, sede_ids=[sede_id_for("S02")])
    r = hub_client.get(f"/api/reconciliation/closures/{closure['id']}", headers=other)
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "sede_not_assigned"
    assert hub_client.get("/api/reconciliation/closures", headers=other).json()["total"] == 0
    own = auth_headers(rt, Role.SUPERVISOR, sede_ids=[S01])
    assert hub_client.get("/api/reconciliation/closures", headers=own).json()["total"] == 1
    r = hub_client.post(
        "/api/reconciliation/execute", json={"sede_id": S01, "date": "2026-11-29"}, headers=own
    )
    assert r.status_code == 403  # running is an admin's job


def test_bad_inputs_get_clear_errors(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    r = hub_client.post(
        "/api/reconciliation/execute", json={"sede_id": S01, "date": "2026-12-05"}, headers=admin
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "date_in_future"
    r = hub_client.post(
        "/api/reconciliation/execute",
        json={"sede_id": "no-such-sede", "date": "2026-11-29"},
        headers=admin,
    )
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "sede_not_found"
    r = hub_client.get("/api/reconciliation/closures/nada", headers=admin)
    assert r.status_code == 404
    r = hub_client.post("/api/reconciliation/execute", json={"sede_id": S01}, headers=admin)
    assert r.status_code == 422


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_a_closure_exports_as_a_workbook_or_a_pdf(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str], fmt: str
) -> None:
    day = clean_day(rt)
    day.invoice(None, number=9)
    day.push_day()
    closure = execute(hub_client, admin)
    r = hub_client.get(
        f"/api/reconciliation/closures/{closure['id']}/export", params={"format": fmt},
        headers=admin,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert f"cierre-S01-2026-11-29.{fmt}" in r.headers["content-disposition"]
    if fmt == "pdf":
        assert r.content.startswith(b"%PDF")
    else:
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames == ["Cifras", "Medios de pago", "Discrepancias", "Ajustes tardíos"]
        rows = list(wb["Discrepancias"].iter_rows(min_row=5, values_only=True))
        assert any(row[1] == "Salto en la numeración" for row in rows)  # series_gap, in Spanish


def test_a_convenio_monthly_factura_names_no_order_and_is_not_an_orphan(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    """The factura bills last month's covered parts through its links: the day stays clean;
    a factura with no order and no links is still reported."""
    day = clean_day(rt)
    earlier = {"id": new_id(), "number": "S01-20261031-0007", "business_date": "2026-10-31",
               "covered_total": 3200}  # fmt: skip
    billed = factura(day, [earlier], convenio_id=new_id(), number=1)
    orphan = day.invoice(None, doc_type="01", series="F001", number=2, total=990)
    day.push_day()
    body = execute(hub_client, admin)
    found = {d["key"]: d for d in body["discrepancies"]}
    assert found["document_without_order"]["record_ids"] == [orphan["id"]]
    assert billed["id"] not in found["document_without_order"]["record_ids"]
