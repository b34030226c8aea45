"""GET /api/audit (filters, pagination, permission) and the 12-month retention."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from domain.clock import FixedClock
from domain.permissions import Role
from edge.audit import service as audit_service
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from sync import outbox
from tests.edge.factories import SEDE_S01, auth_headers

T0 = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 10:00 in Lima


def seed(rt: EdgeRuntime) -> None:
    clock = FixedClock(T0)
    rows = [
        ("login", "u1", None, None, 0),
        ("login_failed", None, None, None, 1),
        ("order_cancel", "u1", "order", "o-1", 2),
        ("discount", "u2", "order", "o-2", 3),
        ("order_cancel", "u2", "order", "o-3", 24 * 3),  # three days later
    ]
    with unit_of_work(rt.engine) as session:
        for action, user, rtype, rid, hours in rows:
            clock.set(T0 + dt.timedelta(hours=hours))
            audit_service.record(
                session,
                action=action,
                clock=clock,
                sede_id=SEDE_S01,
                user_id=user,
                username=user,
                record_type=rtype,
                record_id=rid,
                ip="10.0.0.5",
            )


def actions(client: TestClient, headers: dict[str, str], **params: object) -> list[str]:
    r = client.get("/api/audit", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["items"]]


def test_listing_newest_first_with_filters(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    seed(edge_runtime)
    h = auth_headers(edge_runtime, Role.SUPERVISOR)
    assert actions(edge_client, h) == [
        "order_cancel",
        "discount",
        "order_cancel",
        "login_failed",
        "login",
    ]
    assert actions(edge_client, h, action="order_cancel") == ["order_cancel", "order_cancel"]
    assert actions(edge_client, h, user_id="u2") == ["order_cancel", "discount"]
    assert actions(edge_client, h, record_type="order", record_id="o-2") == ["discount"]
    assert actions(edge_client, h, date_from="2026-12-02") == ["order_cancel"]
    assert actions(edge_client, h, date_to="2026-11-29", user_id="u1") == [
        "order_cancel",
        "login",
    ]
    first = edge_client.get("/api/audit", headers=h, params={"limit": 2, "offset": 1}).json()
    assert first["total"] == 5 and first["limit"] == 2 and first["offset"] == 1
    assert [e["action"] for e in first["items"]] == ["discount", "order_cancel"]
    item = first["items"][0]
    assert item["ip"] == "10.0.0.5" and item["record_id"] == "o-2"
    assert item["business_date"] == "2026-11-29" and item["created_at"].endswith("Z")


def test_bad_filters_are_422(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    h = auth_headers(edge_runtime, Role.ADMIN)
    r = edge_client.get(
        "/api/audit", headers=h, params={"date_from": "2026-12-02", "date_to": "2026-12-01"}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "date_range_invalid"
    r = edge_client.get("/api/audit", headers=h, params={"limit": 0, "date_from": "ayer"})
    assert r.status_code == 422
    assert {tuple(d["loc"]) for d in r.json()["detail"]} == {
        ("query", "limit"),
        ("query", "date_from"),
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.SUPERVISOR, 200),
        (Role.RECEPCIONISTA, 403),
        (Role.LABORATORISTA, 403),
    ],
)
def test_only_supervisors_and_admins_read_the_audit(
    edge_client: TestClient, edge_runtime: EdgeRuntime, role: Role, status: int
) -> None:
    r = edge_client.get("/api/audit", headers=auth_headers(edge_runtime, role))
    assert r.status_code == status
    if status == 403:
        assert r.json()["detail"][0]["type"] == "permission_denied"


def test_audit_events_reach_the_outbox(edge_runtime: EdgeRuntime) -> None:
    seed(edge_runtime)
    with edge_runtime.engine.connect() as conn:
        rows = outbox.pending(conn, after_seq=0, limit=100)
    assert sum(1 for r in rows if r["record_type"] == "audit_event") == 5
