"""Upgrades with nodes offline: the hub is upgraded first; an edge one schema behind keeps
selling offline, then pushes its backlog and pulls; it is upgraded later.

The code has only schema 1 so far, so the "next" version is simulated: the hub runs schema 2
with an upcaster 1 -> 2 (``payment`` gains ``currency``, defaulting to PEN) — exactly what the
next real bump will do through ``sync/upcast.py`` — while the edge keeps writing schema 1 rows.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

import central.sync.apply_rows as hub_apply
import sync.client
import sync.outbox
from central.runtime import HubRuntime
from domain.clock import SystemClock
from edge.runtime import EdgeRuntime
from edge.sync import service
from edge.sync.enroll import enroll, load_credentials
from sync import upcast as upcast_module
from sync.protocol import SCHEMA_VERSION
from tests.sync.replication_helpers import (
    add_patient,
    add_sale,
    admin_override,
    make_hub_sede,
    new_code,
    node_client,
)

CLOCK = SystemClock()
OLD, NEW = SCHEMA_VERSION, SCHEMA_VERSION + 1


def _payment_gains_currency(record_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    if record_type == "payment":
        payload.setdefault("currency", "PEN")
    return payload


def _upgrade_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub now runs schema NEW and knows how to lift OLD payloads."""
    monkeypatch.setattr(hub_apply, "SCHEMA_VERSION", NEW)
    chain = {**upcast_module.UPCASTERS, OLD: _payment_gains_currency}
    monkeypatch.setattr(
        hub_apply, "upcast", functools.partial(upcast_module.upcast, target=NEW, chain=chain)
    )


def _upgrade_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The edge now writes schema NEW rows (and writes currency itself)."""
    monkeypatch.setattr(sync.outbox, "SCHEMA_VERSION", NEW)
    monkeypatch.setattr(sync.client, "SCHEMA_VERSION", NEW)


def _enrolled(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> tuple[str, Any]:
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    creds = load_credentials(edge_runtime.settings.data_dir)
    return sede, node_client(hub_client, creds)


def _hub(rt: HubRuntime, sql: str, **params: Any) -> list[Any]:
    with rt.engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def _sell(edge: EdgeRuntime, sede: str, n: int, start: int) -> list[str]:
    payments = []
    for i in range(start, start + n):
        pid = add_patient(edge.engine, CLOCK, sede_id=sede, doc=f"4{i:07d}")
        _, pay = add_sale(
            edge.engine,
            CLOCK,
            sede_id=sede,
            patient_id=pid,
            number=f"S01-20261129-{i:04d}",
            amount=Decimal("35.50"),
        )
        payments.append(pay)
    return payments


def test_hub_first_then_edge_later(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sede, client = _enrolled(hub_client, hub_runtime, edge_runtime)
    _sell(edge_runtime, sede, 2, 1)
    assert service.push_pending(edge_runtime.engine, client, CLOCK) > 0

    # 1. The hub is upgraded while the sede is offline and keeps selling on the old version.
    _upgrade_hub(monkeypatch)
    offline = _sell(edge_runtime, sede, 5, 3)
    assert service.backlog(edge_runtime.engine) > 0

    # 2. Back online, still one version behind: the whole backlog is accepted and upcast.
    service.push_pending(edge_runtime.engine, client, CLOCK)
    assert service.backlog(edge_runtime.engine) == 0
    assert _hub(hub_runtime, "SELECT count(*) FROM sync_parked")[0][0] == 0
    rows = _hub(
        hub_runtime,
        "SELECT id, payload->>'currency', payload->>'amount' FROM "
        "sync_record WHERE record_type = 'payment' AND id = ANY(:ids)",
        ids=offline,
    )
    assert len(rows) == 5
    assert {r[1] for r in rows} == {"PEN"}  # lifted to the hub's schema
    assert {Decimal(str(r[2])) for r in rows} in ({Decimal("35.50")}, {Decimal("3550")})
    node_schema = _hub(hub_runtime, "SELECT schema_version FROM sync_node")
    assert [r[0] for r in node_schema] == [OLD]  # the hub knows this sede is behind
    service.pull_changes(edge_runtime.engine, client, CLOCK)  # pulling still allowed

    # 3. Later the edge is upgraded too: its rows arrive at the new schema, untouched.
    _upgrade_edge(monkeypatch)
    newer = _sell(edge_runtime, sede, 2, 8)
    service.push_pending(edge_runtime.engine, client, CLOCK)
    assert service.backlog(edge_runtime.engine) == 0
    rows = _hub(
        hub_runtime,
        "SELECT payload ? 'currency' FROM sync_record "
        "WHERE record_type = 'payment' AND id = ANY(:ids)",
        ids=newer,
    )
    assert [r[0] for r in rows] == [False, False]  # no upcast applied to current rows
    assert _hub(hub_runtime, "SELECT count(*) FROM sync_parked")[0][0] == 0
    total = _hub(hub_runtime, "SELECT count(*) FROM sync_record WHERE record_type = 'payment'")
    assert total[0][0] == 9


def test_edge_before_hub_is_parked_not_lost(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wrong order (edge first) loses nothing: the newer rows wait, parked, at the hub."""
    sede, client = _enrolled(hub_client, hub_runtime, edge_runtime)
    _upgrade_edge(monkeypatch)
    payments = _sell(edge_runtime, sede, 1, 1)
    service.push_pending(edge_runtime.engine, client, CLOCK)
    parked = _hub(hub_runtime, "SELECT record_id, reason FROM sync_parked")
    assert (payments[0], "schema_too_new") in [tuple(r) for r in parked]
