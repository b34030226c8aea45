"""``GET /api/audit`` is scoped by sede: an admin reads every event, a supervisor only those of
their sedes (never chain-wide ones), in SQL so that pages and totals agree; an explicit
``sede_id`` filter outside a supervisor's sedes is refused with 403."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from central.audit import service as audit
from central.audit.models import HubAuditEvent
from central.db import unit_of_work
from central.runtime import HubRuntime
from domain.ids import sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede

S01, S02, S03 = sede_id_for("S01"), sede_id_for("S02"), sede_id_for("S03")


def _seed(rt: HubRuntime) -> None:
    """7 events of S01, 3 of S02, 4 chain-wide, recorded the way the services record them."""
    for code in ("S01", "S02", "S03"):
        make_sede(rt, code)
    with unit_of_work(rt.engine) as s:
        for i in range(5):  # reconciliation: the sede is in the details
            audit.record(
                s, action="reconciliation.execute", clock=rt.clock, username="sistema",
                record_type="reconciliation_closure", record_id=f"c{i}",
                details={"sede_id": S01, "business_date": "2026-11-28"},
            )  # fmt: skip
        audit.record(s, action="sede.update", clock=rt.clock, record_type="sede", record_id=S01)
        audit.record(s, action="reconciliation.reopen", clock=rt.clock, sede_id=S01)
        for i in range(3):
            audit.record(
                s, action="reconciliation.execute", clock=rt.clock,
                record_type="reconciliation_closure", record_id=f"d{i}", details={"sede_id": S02},
            )  # fmt: skip
        audit.record(s, action="login", clock=rt.clock, username="admin")
        audit.record(
            s, action="catalog.price_change", clock=rt.clock, record_type="catalog_service"
        )
        audit.record(
            s, action="user.create", clock=rt.clock, record_type="user", record_id="u1",
            details={"username": "x", "sede_ids": [S01]},  # a user may span sedes: chain-wide
        )  # fmt: skip
        audit.record(s, action="patient.read", clock=rt.clock, record_type="patient")


def _get(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    r = client.get("/api/audit", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_sede_of_an_event_comes_from_the_argument_the_record_or_the_details(
    hub_runtime: HubRuntime,
) -> None:
    _seed(hub_runtime)
    with unit_of_work(hub_runtime.engine) as s:
        rows = s.exec(select(HubAuditEvent)).all()
        by_action: dict[str, set[str | None]] = {}
        for row in rows:
            by_action.setdefault(row.action, set()).add(row.sede_id)
    assert by_action["sede.update"] == {S01}
    assert by_action["reconciliation.reopen"] == {S01}
    assert by_action["reconciliation.execute"] == {S01, S02}
    for chain_wide in ("login", "catalog.price_change", "user.create", "patient.read"):
        assert by_action[chain_wide] == {None}, chain_wide


def test_an_admin_reads_every_event_and_may_filter_by_any_sede(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    _seed(hub_runtime)
    h = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    everything = _get(hub_client, h, limit=500)
    assert everything["total"] == 14 == len(everything["items"])
    assert sum(1 for e in everything["items"] if e["sede_id"] is None) == 4
    s02 = _get(hub_client, h, sede_id=S02)
    assert s02["total"] == 3 and {e["sede_id"] for e in s02["items"]} == {S02}
    assert _get(hub_client, h, sede_id=S03)["total"] == 0
    actions = hub_client.get("/api/audit/actions", headers=h).json()["items"]
    assert actions == sorted(
        ["catalog.price_change", "login", "patient.read", "reconciliation.execute",
         "reconciliation.reopen", "sede.update", "user.create"]
    )  # fmt: skip


def test_a_supervisor_reads_only_their_sedes_with_right_pages_and_totals(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    _seed(hub_runtime)
    h = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S01])
    seen: list[str] = []
    for offset in (0, 3, 6):
        page = _get(hub_client, h, limit=3, offset=offset)
        assert page["total"] == 7  # the SQL scope: not 14, not the size of a filtered page
        assert {e["sede_id"] for e in page["items"]} == {S01}
        seen += [e["id"] for e in page["items"]]
    assert len(seen) == len(set(seen)) == 7
    assert _get(hub_client, h, sede_id=S01)["total"] == 7
    # other filters combine with the scope
    assert _get(hub_client, h, action="reconciliation.execute")["total"] == 5
    assert _get(hub_client, h, action="login")["total"] == 0
    actions = hub_client.get("/api/audit/actions", headers=h).json()["items"]
    assert actions == ["reconciliation.execute", "reconciliation.reopen", "sede.update"]

    both = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S01, S02])
    assert _get(hub_client, both)["total"] == 10
    assert _get(hub_client, both, sede_id=S02)["total"] == 3
    nobody = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[])
    assert _get(hub_client, nobody) == {"items": [], "total": 0}
    assert hub_client.get("/api/audit/actions", headers=nobody).json()["items"] == []


def test_a_supervisor_asking_for_another_sede_is_refused(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    _seed(hub_runtime)
    h = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S01])
    r = hub_client.get("/api/audit", params={"sede_id": S02}, headers=h)
    assert r.status_code == 403
    (detail,) = r.json()["detail"]
    assert detail["type"] == "sede_not_assigned"
    assert detail["loc"] == ["query", "sede_id"]
    assert "sede" in detail["msg"] and "No está asignado" in detail["msg"]
    r = hub_client.get("/api/audit", headers=auth_headers(hub_runtime, Role.RECEPCIONISTA))
    assert r.status_code == 403  # audit.read itself


def test_events_recorded_by_real_endpoints_carry_their_sede(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_sede(hub_runtime, "S01")
    admin = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    r = hub_client.put(
        f"/api/config/locations/{S01}", json={"name": "Sede Miraflores"}, headers=admin
    )
    assert r.status_code == 200, r.text
    r = hub_client.post("/api/catalog/categories", json={"code": "GEN", "name": "Genética"},
                        headers=admin)  # fmt: skip
    assert r.status_code == 201, r.text
    sup = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S01])
    items = _get(hub_client, sup)["items"]
    assert [(e["action"], e["sede_id"]) for e in items] == [("sede.update", S01)]
    assert _get(hub_client, admin, action="catalog.category_create")["items"][0]["sede_id"] is None
