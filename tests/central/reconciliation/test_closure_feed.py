"""Closures flow down to their sede through the change feed; SUNAT state updates that arrive
after a day was closed are not late adjustments (only business data that changes its figures)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from sync.records import ClosureRecord
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import DAY, SedeDay

CLOSE_TIME = dt.datetime(2026, 11, 30, 4, 59, tzinfo=dt.UTC)  # 23:59 Lima
S01 = sede_id_for("S01")


@pytest.fixture
def rt(hub_runtime: HubRuntime) -> Iterator[HubRuntime]:
    hub_runtime.clock = FixedClock(CLOSE_TIME)
    make_sede(hub_runtime, "S01")
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
        day.invoice(order, state="enviado")
        day.sample(order)
        cash += order["paid_total"]
    day.cash_session({"efectivo": cash}, {"efectivo": cash})
    return day


def execute(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.post(
        "/api/reconciliation/execute",
        json={"sede_id": S01, "date": DAY.isoformat()},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def feed_rows(rt: HubRuntime) -> list[Any]:
    with rt.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT record_id, op, payload, scope_sede_id FROM sync_change_feed "
                    "WHERE record_type = 'reconciliation_closure' ORDER BY cursor"
                )
            ).all()
        )


def later(rt: HubRuntime, minutes: int) -> dt.datetime:
    rt.clock.advance(dt.timedelta(minutes=minutes))  # type: ignore[attr-defined]
    return rt.clock.now()


def test_a_closure_and_its_reopening_flow_down_to_its_sede_only(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    day = clean_day(rt)
    day.cash_session({"efectivo": 9000}, {"efectivo": 4000})  # short beyond the threshold
    day.push_day()
    closure = execute(hub_client, admin)
    assert closure["status"] == "with_discrepancies"
    rows = feed_rows(rt)
    assert len(rows) == 1
    record_id, op, payload, scope = rows[0]
    assert (record_id, op, scope) == (closure["id"], "upsert", S01)
    assert set(payload) == set(ClosureRecord.model_fields)
    record = ClosureRecord.model_validate(payload)
    assert record.status == "with_discrepancies" and record.business_date == DAY.isoformat()
    assert record.discrepancy_count == closure["discrepancy_count"] >= 1
    kinds = {f["kind"] for f in record.summary}
    assert "cash_short" in kinds
    assert all(set(f) == {"kind", "severity", "message", "records"} for f in record.summary)

    later(rt, 1)
    execute(hub_client, admin)  # an unchanged re-run adds nothing to the feed
    assert len(feed_rows(rt)) == 1

    supervisor = auth_headers(rt, Role.SUPERVISOR, sede_ids=[S01])
    r = hub_client.post(
        f"/api/reconciliation/closures/{closure['id']}/reopen",
        json={"reason": "Se recontó la caja 2"},
        headers=supervisor,
    )
    assert r.status_code == 200, r.text
    rows = feed_rows(rt)
    assert len(rows) == 2
    reopened = ClosureRecord.model_validate(rows[-1][2])
    assert reopened.status == "reopened" and reopened.reopen_reason == "Se recontó la caja 2"
    assert reopened.reopened_by is not None and reopened.reopen_count == 1


def test_a_pending_day_flows_down_as_pending(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    clean_day(rt).push_day(seal=False)
    assert execute(hub_client, admin)["status"] == "pending_data"
    (row,) = feed_rows(rt)
    assert row[2]["status"] == "pending_data" and row[2]["closed_at"] is None


def test_sunat_state_updates_after_the_closure_are_not_late_adjustments(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    day = clean_day(rt)
    day.push_day()
    first = execute(hub_client, admin)
    assert first["status"] == "reconciled", first["discrepancies"]
    # SUNAT answers the next morning: one accepted, one rejected; plus the submissions, an
    # order whose results came out and a later payment's new balance: all expected.
    accepted = day.invoices[0] | {"state": "aceptado", "sunat_code": "0"}
    rejected = day.invoices[1] | {"state": "rechazado", "sunat_code": "2017"}
    submission = {
        "id": new_id(), "sede_id": S01, "business_date": DAY.isoformat(),
        "invoice_id": accepted["id"], "status": "aceptado",
    }  # fmt: skip
    progressed = day.orders[2] | {"status": "resultados_listos"}
    day.push(
        [("invoice", accepted), ("invoice", rejected), ("sunat_submission", submission),
         ("order", progressed)],
        received_at=later(rt, 2), late=True,
    )  # fmt: skip
    later(rt, 1)
    body = execute(hub_client, admin)
    assert body["late_adjustments"] == [] and not body["has_late_adjustments"]
    assert body["status"] == "reconciled"
    assert body["figures"] == first["figures"]

    # real business data still counts: a changed amount and a new row of the closed day
    changed = day.payments[0] | {"amount": day.payments[0]["amount"] - 100}
    extra = day.order("12.00", paid="0.00")
    day.push([("payment", changed), ("order", extra)], received_at=later(rt, 2), late=True)
    later(rt, 1)
    body = execute(hub_client, admin)
    listed = {(r["record_type"], r["id"]) for r in body["late_adjustments"]}
    assert listed == {("payment", changed["id"]), ("order", extra["id"])}
    assert body["status"] == "with_discrepancies"
    # a further SUNAT update of the changed payment's day adds nothing
    again = day.invoices[2] | {"state": "aceptado"}
    day.push([("invoice", again)], received_at=later(rt, 2), late=True)
    later(rt, 1)
    again_body = execute(hub_client, admin)
    assert {(r["record_type"], r["id"]) for r in again_body["late_adjustments"]} == listed


def test_after_a_reopen_the_rerun_absorbs_and_later_state_updates_stay_quiet(
    rt: HubRuntime, hub_client: TestClient, admin: dict[str, str]
) -> None:
    day = clean_day(rt)
    day.push_day()
    closure = execute(hub_client, admin)
    changed = day.payments[0] | {"method": "tarjeta"}
    day.push([("payment", changed)], received_at=later(rt, 2), late=True)
    later(rt, 1)
    assert execute(hub_client, admin)["has_late_adjustments"]
    r = hub_client.post(
        f"/api/reconciliation/closures/{closure['id']}/reopen",
        json={"reason": "Pago registrado con el medio equivocado"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    later(rt, 1)
    rerun = execute(hub_client, admin)
    assert rerun["late_adjustments"] == []
    with rt.engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM recon_late_before")).scalar_one()
    assert kept == 0  # the re-run counted the current images
    accepted = day.invoices[0] | {"state": "aceptado"}
    day.push([("invoice", accepted)], received_at=later(rt, 2), late=True)
    later(rt, 1)
    assert execute(hub_client, admin)["late_adjustments"] == []


def test_the_trigger_keeps_images_of_every_figure_type() -> None:
    from central.reports.projections import late_before_sql
    from domain.reconciliation import FIGURE_FIELDS

    for updated in (False, True):
        sql = late_before_sql(updated=updated)
        assert all(f"'{t}'" in sql for t in FIGURE_FIELDS)
