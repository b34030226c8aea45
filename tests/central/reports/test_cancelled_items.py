"""Top services: lines of cancelled orders are not sold. ``rpt_service_day`` equals a
recomputation from the raw rows through every order in which an order and its lines arrive
(lines first, order first, cancelled before or after being counted, in one upsert that fires
both the INSERT and the UPDATE triggers), deletions, and a rebuild."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.db import unit_of_work
from central.reports import service
from central.runtime import HubRuntime
from domain.clock import FixedClock
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay

NOW = dt.datetime(2026, 11, 30, 4, 59, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 29)
HEM = ("HEM01", "Hemograma", "35.00")
GLU = ("GLU01", "Glucosa", "12.50")
PER = ("PERF1", "Perfil lipídico", "60.00")
Key = tuple[str, dt.date, str]


@pytest.fixture
def rt(hub_runtime: HubRuntime) -> Iterator[HubRuntime]:
    hub_runtime.clock = FixedClock(NOW)
    make_sede(hub_runtime, "S01")
    yield hub_runtime


def summary(rt: HubRuntime) -> dict[Key, tuple[int, int]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT sede_id, business_date, service_id, quantity, amount_cents "
                "FROM rpt_service_day WHERE quantity <> 0 OR amount_cents <> 0"
            )
        ).all()
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}


def raw(rt: HubRuntime) -> dict[Key, tuple[int, int]]:
    """Independent SQL: top-level lines whose order is not (present and) ``anulada``."""
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.sede_id, i.business_date::date, i.payload->>'service_id', "
                "sum(coalesce((i.payload->>'quantity')::int, 1)), "
                "sum((i.payload->>'line_total')::int) FROM sync_record i "
                "LEFT JOIN sync_record o ON o.record_type = 'order' "
                "AND o.id = i.payload->>'order_id' AND o.op <> 'delete' "
                "WHERE i.record_type = 'order_item' AND i.op <> 'delete' "
                "AND i.payload->>'parent_item_id' IS NULL "
                "AND (o.id IS NULL OR o.payload->>'status' <> 'anulada') GROUP BY 1, 2, 3"
            )
        ).all()
    return {(r[0], r[1], r[2]): (int(r[3]), int(r[4])) for r in rows}


def qty(rt: HubRuntime) -> dict[str, int]:
    return {k[2]: v[0] for k, v in summary(rt).items()}


def lines_of(b: SedeDay, order: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("order_item", i) for i in b.items if i["order_id"] == order["id"]]


def check(rt: HubRuntime) -> None:
    assert summary(rt) == raw(rt)


def test_lines_of_cancelled_orders_are_not_counted(rt: HubRuntime) -> None:
    b = SedeDay(rt.engine, "S01", DAY)
    o1 = b.order("35.00", services=[HEM])
    o2 = b.order("47.50", services=[HEM, GLU])
    o3 = b.order("60.00", services=[PER], status="anulada")  # cancelled before it was pushed
    b.push(b.all_rows())  # one INSERT statement: orders and lines together
    check(rt)
    assert qty(rt) == {"svc-HEM01": 2, "svc-GLU01": 1}

    o1["status"] = "anulada"  # cancelled after being counted: subtracted
    b.push([("order", o1)])
    check(rt)
    assert qty(rt) == {"svc-HEM01": 1, "svc-GLU01": 1}

    # One upsert = both triggers: o2 cancelled (UPDATE) while a new line of it arrives
    # (INSERT) and an old one is re-delivered changed (UPDATE); o4 arrives cancelled (INSERT)
    # with a re-delivered line (UPDATE) that was pushed, and counted, before its order.
    o4 = b.order("60.00", services=[PER])
    b.push(lines_of(b, o4))  # lines before their order: counted for now
    assert qty(rt)["svc-PERF1"] == 1
    extra = b._base() | {
        "order_id": o2["id"], "service_id": "svc-PERF1", "service_code": "PERF1",
        "service_name": "Perfil lipídico", "parent_item_id": None, "quantity": 1,
        "line_total": 6000,
    }  # fmt: skip
    b.items.append(extra)
    o2["status"] = "anulada"
    o4["status"] = "anulada"
    hem_of_o2 = lines_of(b, o2)[0][1]
    hem_of_o2["line_total"] = 3000
    for line in lines_of(b, o4):
        line[1]["quantity"] = 2
    b.push([("order", o2), ("order", o4), ("order_item", extra), ("order_item", hem_of_o2)]
           + lines_of(b, o4))  # fmt: skip
    check(rt)
    assert qty(rt) == {}

    o1["status"] = "registrada"  # leaving anulada (never done by the edge): counted again
    b.push([("order", o1)])
    check(rt)
    assert qty(rt) == {"svc-HEM01": 1}

    with rt.engine.begin() as conn:  # a deleted cancelled order no longer hides its lines
        conn.execute(text("DELETE FROM sync_record WHERE id = :i"), {"i": o3["id"]})
    check(rt)
    assert qty(rt) == {"svc-HEM01": 1, "svc-PERF1": 1}

    before = summary(rt)
    with unit_of_work(rt.engine) as session:
        service.rebuild(session=session)
    assert summary(rt) == before


def test_top_services_report_leaves_out_cancelled_orders(
    rt: HubRuntime, hub_client: TestClient
) -> None:
    b = SedeDay(rt.engine, "S01", DAY)
    kept = b.order("35.00", services=[HEM])
    gone = b.order("12.50", services=[GLU])
    b.push(b.all_rows())
    gone["status"] = "anulada"
    b.push([("order", gone)])
    params = {"from": "2026-11-01", "to": "2026-11-29"}
    r = hub_client.get("/api/reports/top-services", params=params, headers=auth_headers(rt))
    assert r.status_code == 200, r.text
    assert [(x["code"], x["quantity"], x["amount"]) for x in r.json()["rows"]] == [
        ("HEM01", 1, "35.00")
    ]
    r = hub_client.get("/api/reports/dashboard", params=params, headers=auth_headers(rt))
    assert [s["quantity"] for s in r.json()["top_services"]] == [1]
    assert kept["status"] == "registrada"
