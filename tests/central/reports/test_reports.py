"""Reports and the dashboard: summary tables kept by triggers equal a recomputation from the
raw ``sync_record`` rows, through inserts, re-deliveries and updates (status changes)."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from central.db import unit_of_work
from central.reports import service
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay, push_rows

NOW = dt.datetime(2026, 11, 30, 4, 59, tzinfo=dt.UTC)
D1, D2 = dt.date(2026, 11, 28), dt.date(2026, 11, 29)
S01, S02 = sede_id_for("S01"), sede_id_for("S02")
PERIOD = {"from": "2026-11-01", "to": "2026-11-29"}
SUMMARY_TABLES = ("rpt_order_day", "rpt_payment_day", "rpt_document_day", "rpt_service_day",
                  "rpt_service_item", "rpt_cash_day", "rpt_status_day",
                  "rpt_patient_first", "rpt_patient_day")  # fmt: skip


@pytest.fixture
def rt(hub_runtime: HubRuntime) -> Iterator[HubRuntime]:
    hub_runtime.clock = FixedClock(NOW)
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    yield hub_runtime


def busy_days(rt: HubRuntime, seed: int = 7) -> list[SedeDay]:
    """Two sedes × two days of mixed orders, then updates: sample taken, cancellation and
    refund, documents accepted, a cash session closed, and a re-delivered batch."""
    rnd = random.Random(seed)
    patients = [new_id() for _ in range(12)]
    services = [("HEM01", "Hemograma", "35.00"), ("GLU01", "Glucosa", "12.50"),
                ("PERF1", "Perfil lipídico", "60.00")]  # fmt: skip
    days = []
    for code in ("S01", "S02"):
        for day in (D1, D2):
            b = SedeDay(rt.engine, code, day)
            for _ in range(rnd.randint(4, 8)):
                chosen = rnd.sample(services, rnd.randint(1, 2))
                total = sum(int(p.replace(".", "")) for _, _, p in chosen)
                discount = rnd.choice([0, 0, 500])
                order = b.order(
                    f"{(total - discount) / 100:.2f}", discount=f"{discount / 100:.2f}",
                    patient_id=rnd.choice(patients), services=chosen,
                    convenio_id=rnd.choice([None, None, "conv-1"]),
                )  # fmt: skip
                method = rnd.choice(["efectivo", "tarjeta", "yape"])
                b.payment(order, method=method)
                b.invoice(order, state="pendiente")
            b.cash_session({"efectivo": 1000}, {"efectivo": 900}, status="abierta")
            b.push(b.all_rows())
            days.append(b)
    # updates, as later pushes of the same records
    for b in days:
        first = b.orders[0]
        first["status"] = "anulada"
        refund = b.payment(first, f"-{first['paid_total'] / 100:.2f}", method="efectivo")
        event = b._base() | {
            "order_id": first["id"], "from_status": "registrada", "to_status": "anulada",
            "user_id": "u-sup", "created_at": "x",
        }  # fmt: skip
        b.orders[1]["status"] = "muestra_tomada"
        for inv in b.invoices[:3]:
            inv["state"] = "aceptado"
        b.sessions[0]["status"] = "cerrada"
        b.push([("order", first), ("order", b.orders[1]), ("payment", refund),
                ("order_status_event", event), ("cash_session", b.sessions[0])]
               + [("invoice", i) for i in b.invoices[:3]])  # fmt: skip
    days[0].push(days[0].all_rows())  # sync delivers a whole batch twice
    return days


def table_rows(rt: HubRuntime, table: str) -> list[tuple[Any, ...]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table}")).all()
    return sorted(tuple(r) for r in rows)


def raw_dashboard(rt: HubRuntime, sedes: list[str]) -> dict[str, Any]:
    """The dashboard's figures straight from the raw rows (independent SQL)."""
    with rt.engine.connect() as conn:

        def one(sql: str) -> Any:
            return conn.execute(text(sql), {"s": sedes, "f": PERIOD["from"],
                                            "t": PERIOD["to"]}).one()  # fmt: skip

        where = "sede_id = ANY(:s) AND business_date BETWEEN :f AND :t"
        orders = one(
            "SELECT count(*) FILTER (WHERE payload->>'status' <> 'anulada'), "
            "coalesce(sum((payload->>'total')::int) FILTER (WHERE payload->>'status' <> "
            "'anulada'), 0), count(*) FILTER (WHERE payload->>'status' = 'anulada'), "
            "coalesce(sum((payload->>'discount_total')::int) FILTER (WHERE payload->>'status' "
            f"<> 'anulada'), 0) FROM sync_record WHERE record_type = 'order' AND {where}"
        )
        pays = one(
            "SELECT coalesce(sum((payload->>'amount')::int), 0) FROM sync_record "
            f"WHERE record_type = 'payment' AND {where}"
        )
        accepted = one(
            "SELECT count(*) FROM sync_record WHERE record_type = 'invoice' AND "
            f"payload->>'state' = 'aceptado' AND {where}"
        )
        new = one(  # a valid order in the period at the sedes, the first one anywhere in it
            "SELECT count(DISTINCT o.payload->>'patient_id') FROM sync_record o "
            "WHERE o.record_type = 'order' AND o.payload->>'status' <> 'anulada' "
            "AND o.sede_id = ANY(:s) AND o.business_date BETWEEN :f AND :t "
            "AND coalesce(o.payload->>'patient_id', '') <> '' AND (SELECT min(p.business_date) "
            "FROM sync_record p WHERE p.record_type = 'order' "
            "AND p.payload->>'patient_id' = o.payload->>'patient_id') >= :f"
        )
        qty = one(  # lines of cancelled orders are not sold
            "SELECT count(*) FROM sync_record i WHERE i.record_type = 'order_item' AND NOT EXISTS "
            "(SELECT 1 FROM sync_record o WHERE o.record_type = 'order' AND o.id = "
            "i.payload->>'order_id' AND o.payload->>'status' = 'anulada') AND i." + where
        )
    return {
        "orders": orders[0], "sales": orders[1], "cancelled": orders[2], "discounts": orders[3],
        "payments": pays[0], "accepted": accepted[0], "new_patients": new[0], "items": qty[0],
    }  # fmt: skip


def cents(money: str) -> int:
    return round(float(money) * 100)


@pytest.mark.parametrize("sedes", [[S01, S02], [S02]])
def test_dashboard_equals_a_recomputation_from_the_raw_rows(
    rt: HubRuntime, hub_client: TestClient, sedes: list[str]
) -> None:
    busy_days(rt)
    params = PERIOD | ({"sede": sedes[0]} if len(sedes) == 1 else {})
    r = hub_client.get("/api/reports/dashboard", params=params, headers=auth_headers(rt))
    assert r.status_code == 200, r.text
    got = r.json()
    raw = raw_dashboard(rt, sedes)
    assert got["orders"] == raw["orders"] > 0
    assert cents(got["sales"]) == raw["sales"]
    assert got["cancelled_orders"] == raw["cancelled"] == 2 * len(sedes)
    assert cents(got["discounts"]) == raw["discounts"]
    assert cents(got["payments_total"]) == raw["payments"]
    accepted = sum(d["documents"] for d in got["documents"] if d["state"] == "aceptado")
    assert accepted == raw["accepted"] == 6 * len(sedes)
    assert got["new_patients"] == raw["new_patients"]
    assert sum(s["quantity"] for s in got["top_services"]) == raw["items"]  # 3 services < 5
    assert {s["sede_id"] for s in got["by_sede"]} == set(sedes)


def test_trigger_maintained_tables_equal_a_full_rebuild(rt: HubRuntime) -> None:
    busy_days(rt)
    before = {t: table_rows(rt, t) for t in SUMMARY_TABLES}
    assert before["rpt_status_day"] and before["rpt_cash_day"]
    with unit_of_work(rt.engine) as session:
        service.rebuild(session=session)
    after = {t: table_rows(rt, t) for t in SUMMARY_TABLES}
    # a rebuild has no rows whose sums went back to zero (e.g. an order that changed status)
    nonzero = {t: rows if t in ("rpt_patient_first", "rpt_service_item")
               else [r for r in rows if any(v for v in r if isinstance(v, int))]
               for t, rows in before.items()}  # fmt: skip
    assert nonzero == after


def test_a_deleted_record_is_subtracted(rt: HubRuntime) -> None:
    b = SedeDay(rt.engine, "S01", D2)
    keep, gone = b.order("10.00"), b.order("20.00")
    b.push([("order", keep), ("order", gone)])
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_record WHERE id = :i"), {"i": gone["id"]})
        total = conn.execute(text("SELECT sum(total_cents), sum(orders) FROM rpt_order_day")).one()
    assert tuple(total) == (1000, 1)


def test_reports_answer_for_every_name_and_supervisors_see_only_their_sedes(
    rt: HubRuntime, hub_client: TestClient
) -> None:
    busy_days(rt)
    admin = auth_headers(rt)
    for name in service.REPORTS:
        r = hub_client.get(f"/api/reports/{name}", params=PERIOD, headers=admin)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["columns"]
    sales = hub_client.get("/api/reports/sales", params=PERIOD, headers=admin).json()
    assert [row["sede"] for row in sales["rows"]] == ["S01", "S02"]
    supervisor = auth_headers(rt, Role.SUPERVISOR, sede_ids=[S02])
    own = hub_client.get("/api/reports/sales", params=PERIOD, headers=supervisor).json()
    assert [row["sede"] for row in own["rows"]] == ["S02"]
    r = hub_client.get("/api/reports/sales", params=PERIOD | {"sede": S01}, headers=supervisor)
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "sede_not_assigned"
    clerk = auth_headers(rt, Role.RECEPCIONISTA)
    assert hub_client.get("/api/reports/dashboard", headers=clerk).status_code == 403
    bad = hub_client.get("/api/reports/orders", params={"from": "2026-11-29", "to": "2026-11-01"},
                         headers=admin)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "date_range_invalid"


def test_report_contents(rt: HubRuntime, hub_client: TestClient) -> None:
    days = busy_days(rt)
    admin = auth_headers(rt)

    def rows(name: str) -> list[dict[str, Any]]:
        return list(hub_client.get(f"/api/reports/{name}", params=PERIOD, headers=admin)
                    .json()["rows"])  # fmt: skip

    cancels = rows("cancellations")
    assert {r["user"]: r["cancelled_by"] for r in cancels}["u-sup"] == 4
    cash = rows("cash-differences")
    assert sum(r["sessions"] for r in cash) == 4 and cash[0]["difference"] == "-4.00"
    by_day = {r["date"]: r for r in rows("orders")}
    assert by_day["2026-11-29"]["orders"] == sum(len(b.orders) for b in days if b.day == D2)
    patients = rows("patients-analysis")
    tipo = {r["label"]: r["patients"] for r in patients if r["segment"] == "tipo"}
    assert tipo.get("nuevo", 0) > 0
    states = rows("sunat-states")
    assert {"Boleta"} == {r["doc_type"] for r in states}


@pytest.mark.parametrize(("report", "fmt"), [("dashboard", "pdf"), ("sales", "xlsx"),
                                             ("cash-differences", "pdf")])  # fmt: skip
def test_reports_export(rt: HubRuntime, hub_client: TestClient, report: str, fmt: str) -> None:
    busy_days(rt)
    r = hub_client.post(
        "/api/reports/export",
        json={"report": report, "format": fmt} | PERIOD,
        headers=auth_headers(rt),
    )
    assert r.status_code == 200, r.text
    if fmt == "pdf":
        assert r.content.startswith(b"%PDF")
    else:
        ws = load_workbook(io.BytesIO(r.content)).active
        assert ws is not None and ws["A4"].value == "Sede"
        assert [row[0] for row in ws.iter_rows(min_row=5, values_only=True)] == ["S01", "S02"]


def test_rows_pushed_by_the_ingest_shape_are_summarised(rt: HubRuntime) -> None:
    b = SedeDay(rt.engine, "S01", D2)
    order = b.order("15.00")
    push_rows(rt.engine, [("order", order)], node_id="n1")
    push_rows(rt.engine, [("order", order)], node_id="n1")  # duplicate delivery
    assert table_rows(rt, "rpt_order_day")[0][5:8] == (1, 1500, 0)
