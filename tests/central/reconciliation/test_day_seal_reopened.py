"""A day the edge reopened reads at the hub as unsealed (``pending_data``); sealed again, the
same ``day_seal`` record arrives updated and the reconciliation uses its new figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.ids import sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import DAY, SedeDay

CLOSE_TIME = dt.datetime(2026, 11, 30, 4, 59, tzinfo=dt.UTC)  # 23:59 Lima
S01 = sede_id_for("S01")
T1 = dt.datetime(2026, 11, 29, 23, 0, tzinfo=dt.UTC)


@pytest.fixture
def rt(hub_runtime: HubRuntime) -> Iterator[HubRuntime]:
    hub_runtime.clock = FixedClock(CLOSE_TIME)
    make_sede(hub_runtime, "S01")
    yield hub_runtime


def _execute(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.post(
        "/api/reconciliation/execute", json={"sede_id": S01, "date": DAY.isoformat()},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _sell(day: SedeDay, amount: str) -> None:
    order = day.order(amount, status="muestra_tomada")
    day.payment(order)
    day.invoice(order)
    day.sample(order)


def test_a_reopened_seal_is_pending_data_and_the_reseal_is_reconciled(
    rt: HubRuntime, hub_client: TestClient
) -> None:
    admin = auth_headers(rt, Role.ADMIN)
    day = SedeDay(rt.engine, "S01")
    for amount in ("40.00", "41.00"):
        _sell(day, amount)
    day.push(day.all_rows(), received_at=T1)
    sealed = day.seal() | {"status": "sellado", "reopen_count": 0}
    day.push([("day_seal", sealed)], received_at=T1)
    reopened = sealed | {"status": "reabierto", "reopen_count": 1,
                         "reopen_reason": "Paciente llegó tarde"}  # fmt: skip
    day.push([("day_seal", reopened)], received_at=T1 + dt.timedelta(minutes=5))

    pending = _execute(hub_client, admin)
    assert pending["status"] == "pending_data", pending
    assert pending["seal_id"] is None and pending["closed_at"] is None

    # a late sale on the reopened day, then the same seal record, sealed again
    _sell(day, "50.00")
    day.push(day.all_rows(), received_at=T1 + dt.timedelta(minutes=10))
    resealed = day.seal() | {"id": sealed["id"], "status": "sellado", "reopen_count": 1}
    assert resealed["figures"]["orders"]["count"] == 3
    day.push([("day_seal", resealed)], received_at=T1 + dt.timedelta(minutes=15))
    with rt.engine.connect() as conn:
        held = conn.execute(
            text("SELECT count(*) FROM sync_record WHERE record_type = 'day_seal'")
        ).scalar()
    assert held == 1  # an update of the one record, not a second seal

    closure = _execute(hub_client, admin)
    assert closure["status"] == "reconciled", closure["discrepancies"]
    assert closure["seal_id"] == sealed["id"]
    assert closure["seal_figures"]["orders"]["count"] == 3
    assert closure["seal_figures"]["payments"]["total_cents"] == 13100
    assert closure["figures"]["orders"]["count"] == 3


def test_a_seal_without_status_still_counts_as_sealed(
    rt: HubRuntime, hub_client: TestClient
) -> None:
    """Seals of edges that do not send a status yet are sealed days, as before."""
    admin = auth_headers(rt, Role.ADMIN)
    day = SedeDay(rt.engine, "S01")
    _sell(day, "40.00")
    day.push(day.all_rows(), received_at=T1)
    legacy = day.seal()
    assert "status" not in legacy
    day.push([("day_seal", legacy)], received_at=T1)
    closure = _execute(hub_client, admin)
    assert closure["status"] == "reconciled" and closure["seal_id"] == legacy["id"]
