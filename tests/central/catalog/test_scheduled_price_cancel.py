"""An admin cancels a scheduled price before its date: one test's (by date, or its next one), or
a whole list (every price an import scheduled from one date). Applied prices are refused (409),
the worker never applies a cancelled one, each cancellation is audited, supervisors read the
pending lists but cannot cancel, and nothing reaches the sedes (only current prices replicate).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from central.audit.models import HubAuditEvent
from central.catalog import prices, scheduled_prices, transfer_apply
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.errors import Conflict
from domain.permissions import Role
from tests.central.auth.factories import auth_headers
from tests.central.catalog.transfer_helpers import (
    T0,
    csv_file,
    prices_of,
    row,
    service_by_code,
    small_catalog,
)

DEC = dt.date(2026, 12, 1)
JAN = dt.date(2027, 1, 1)


def _at(rt: HubRuntime, day: dt.date) -> FixedClock:
    """The hub's clock at 00:01 in Lima of ``day``."""
    clock = FixedClock(dt.datetime.combine(day, dt.time(5, 1), tzinfo=dt.UTC))
    rt.clock = clock
    return clock


def _schedule(client: TestClient, rt: HubRuntime, code: str, price: str, when: dt.date) -> None:
    svc = service_by_code(rt, code)
    assert svc is not None
    r = client.put(
        f"/api/catalog/services/{svc.id}",
        json={"price": price, "price_effective_from": when.isoformat(), "price_reason": "Ajuste"},
        headers=auth_headers(rt, Role.ADMIN),
    )
    assert r.status_code == 200, r.text


def _apply_due(rt: HubRuntime) -> int:
    with unit_of_work(rt.engine) as s:
        return prices.apply_scheduled_prices(session=s, clock=rt.clock)


def _catalog_feed(rt: HubRuntime) -> int:
    """Catalog rows in the change feed (the users ``auth_headers`` makes replicate too)."""
    sql = "SELECT count(*) FROM sync_change_feed WHERE record_type LIKE 'catalog%'"
    with rt.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _audit(rt: HubRuntime, action: str) -> list[HubAuditEvent]:
    with unit_of_work(rt.engine) as s:
        rows = list(s.exec(select(HubAuditEvent).where(HubAuditEvent.action == action)).all())
        for r in rows:
            s.expunge(r)
        return rows


def _detail(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["detail"][0]["type"]


def test_cancel_one_scheduled_price(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    hub_runtime.clock = FixedClock(T0)
    small_catalog(hub_runtime)
    _schedule(hub_client, hub_runtime, "HEM-001", "38.00", DEC)
    _schedule(hub_client, hub_runtime, "HEM-001", "40.00", JAN)
    hem = service_by_code(hub_runtime, "HEM-001")
    assert hem is not None
    url = f"/api/catalog/services/{hem.id}/scheduled-price/cancel"
    feed = _catalog_feed(hub_runtime)

    # supervisors (and reception) cannot cancel; the prices stay scheduled
    for role in (Role.SUPERVISOR, Role.RECEPCIONISTA):
        r = hub_client.post(url, json={}, headers=auth_headers(hub_runtime, role))
        assert _detail(r) == (403, "permission_denied")
    admin = auth_headers(hub_runtime, Role.ADMIN)
    # no date: the next one (01/12) goes; the answer shows the one after it
    r = hub_client.post(url, json={}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["price"], body["catalog_version"]) == ("35.00", 1)
    assert (body["scheduled_price"], body["scheduled_from"]) == ("40.00", "2027-01-01")
    history = hub_client.get(f"/api/catalog/services/{hem.id}/price-history", headers=admin)
    dec = next(p for p in history.json()["items"] if p["effective_from"] == "2026-12-01")
    assert dec["status"] == "cancelled" and dec["applied_at"] is None
    assert dec["cancelled_at"] is not None and dec["cancelled_by_username"].startswith("admin")
    events = _audit(hub_runtime, "catalog.price_cancel")
    assert len(events) == 1 and events[0].record_id == hem.id
    assert events[0].details["effective_from"] == "2026-12-01"
    assert events[0].details["price_cents"] == 3800
    # nothing for the sedes: the current price did not change
    assert _catalog_feed(hub_runtime) == feed

    # twice, a date without a price, an unknown test, a malformed date: clear errors
    assert _detail(hub_client.post(url, json={"effective_from": "2026-12-01"}, headers=admin)) == (
        409,
        "price_already_cancelled",
    )
    r = hub_client.post(url, json={"effective_from": "2027-03-01"}, headers=admin)
    assert _detail(r) == (404, "scheduled_price_not_found")
    assert r.json()["detail"][0]["loc"] == ["body", "effective_from"]
    r = hub_client.post("/api/catalog/services/nada/scheduled-price/cancel", json={}, headers=admin)
    assert _detail(r) == (404, "service_not_found")
    r = hub_client.post(url, json={"effective_from": "01/01/2027"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "effective_from"]

    # 01/12 arrives: the cancelled price is not applied; 01/01 applies and is then history
    _at(hub_runtime, DEC)
    assert _apply_due(hub_runtime) == 0
    h = service_by_code(hub_runtime, "HEM-001")
    assert h is not None and (h.price_cents, h.catalog_version) == (3500, 1)
    _at(hub_runtime, JAN)
    assert _apply_due(hub_runtime) == 1
    assert (3800, "cancelled", "Ajuste", DEC) in prices_of(hub_runtime, "HEM-001")
    assert (4000, "applied", "Ajuste", JAN) in prices_of(hub_runtime, "HEM-001")
    admin = auth_headers(hub_runtime, Role.ADMIN)  # the first token expired meanwhile
    r = hub_client.post(url, json={"effective_from": "2027-01-01"}, headers=admin)
    assert _detail(r) == (409, "price_already_applied")
    assert "S/ 40.00" in r.json()["detail"][0]["msg"]
    assert _detail(hub_client.post(url, json={}, headers=admin)) == (
        404,
        "scheduled_price_not_found",
    )


def test_cancel_an_imported_list(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    """A file imported "desde el 01/01/2027" by mistake is taken back in one step."""
    hub_runtime.clock = FixedClock(T0)
    small_catalog(hub_runtime)
    content = csv_file([row("HEM-001", price="39.00"), row("BIO-010", price="13.00")])
    with unit_of_work(hub_runtime.engine) as s:
        assert transfer_apply.apply_import(
            session=s, clock=hub_runtime.clock, actor=None, content=content,
            reason="Tarifario 2027", effective_from=JAN, filename="tarifario.csv",
        ).applied  # fmt: skip
    _schedule(hub_client, hub_runtime, "PAN-01", "42.00", DEC)  # another list, kept

    sup = auth_headers(hub_runtime, Role.SUPERVISOR)
    r = hub_client.get("/api/catalog/scheduled-prices", headers=sup)
    assert r.status_code == 200
    assert r.json() == {
        "items": [
            {"effective_from": "2026-12-01", "services": 1, "reasons": ["Ajuste"]},
            {"effective_from": "2027-01-01", "services": 2, "reasons": ["Tarifario 2027"]},
        ],
        "total": 2,
    }
    cancel = "/api/catalog/scheduled-prices/cancel"
    r = hub_client.post(cancel, json={"effective_from": "2027-01-01"}, headers=sup)
    assert _detail(r) == (403, "permission_denied")

    admin = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.post(cancel, json={"effective_from": "2027-01-01"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["cancelled"] == 2 and "01/01/2027" in r.json()["message"]
    r = hub_client.get("/api/catalog/scheduled-prices", headers=admin)
    assert [i["effective_from"] for i in r.json()["items"]] == ["2026-12-01"]
    (event,) = _audit(hub_runtime, "catalog.price_list_cancel")
    assert event.details == {"effective_from": "2027-01-01", "services": 2}
    assert str(event.username).startswith("admin")
    assert _detail(
        hub_client.post(cancel, json={"effective_from": "2027-01-01"}, headers=admin)
    ) == (
        409,
        "price_already_cancelled",
    )
    r = hub_client.post(cancel, json={"effective_from": "2027-02-01"}, headers=admin)
    assert _detail(r) == (404, "scheduled_price_not_found")
    r = hub_client.post(cancel, json={}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "effective_from"]

    # the dates pass: only the list that was kept applies
    _at(hub_runtime, JAN)
    assert _apply_due(hub_runtime) == 1
    for code, cents in (("HEM-001", 3500), ("BIO-010", 1250), ("PAN-01", 4200)):
        svc = service_by_code(hub_runtime, code)
        assert svc is not None and svc.price_cents == cents, code
    r = hub_client.post(
        cancel, json={"effective_from": "2026-12-01"}, headers=auth_headers(hub_runtime)
    )
    assert _detail(r) == (409, "price_already_applied")


def test_service_refuses_an_applied_price(hub_runtime: HubRuntime) -> None:
    """At the service level too: today's price (applied at once) is history."""
    clock = FixedClock(T0)
    small_catalog(hub_runtime)
    bio = service_by_code(hub_runtime, "BIO-010")
    assert bio is not None
    with pytest.raises(Conflict) as refused, unit_of_work(hub_runtime.engine) as s:
        scheduled_prices.cancel_service_price(
            session=s, clock=clock, actor=None, service_id=bio.id, effective_from=T0.date()
        )
    assert refused.value.code == "price_already_applied"
    assert prices_of(hub_runtime, "BIO-010") == [(1250, "applied", "Precio inicial", T0.date())]
