"""Three hub mends.

1. A convenio's depósito and cheque, like its transferencia, carry the operation / cheque number
   the treasurer matches against the bank statement (API and the convenio page's form).
2. ``/api/reports/dashboard``'s ``new_patients`` is the tablero chart's and the patients
   analysis report's "nuevo", on a dataset where the old definition (patients whose very first
   order, even a cancelled one, was at one of the sedes seen) gives another number.
3. Migration 0004 gives audit events recorded without a sede the sede derivable from their
   record or details, so supervisors see them; a hub older than the column gets it too.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from central.runtime import MIGRATIONS, HubRuntime
from central.web.router import ASSET_VERSION
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from sync import migrations
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.catalog.convenio_builders import NOW, RUC
from tests.central.reconciliation.builders import SedeDay

S01, S02, S03 = sede_id_for("S01"), sede_id_for("S02"), sede_id_for("S03")
PERIOD = {"from": "2026-11-01", "to": "2026-11-29"}


# ------------------------------------------------------------------ 1. convenio references
@pytest.fixture
def conv(hub_runtime: HubRuntime, hub_client: TestClient) -> dict[str, Any]:
    hub_runtime.clock = FixedClock(NOW)
    admin = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.post(
        "/api/convenios",
        json={"ruc": RUC, "name": "SALUD PLUS EPS S.A.", "coverage_pct": "80", "credit_days": 30},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return {"id": r.json()["id"], "admin": admin}


def _pay(client: TestClient, conv: dict[str, Any], **body: Any) -> Any:
    payload = {"amount": "10.00", "date": "2027-01-10", "method": "deposito"} | body
    return client.post(f"/api/convenios/{conv['id']}/payments", json=payload, headers=conv["admin"])


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


@pytest.mark.parametrize(
    ("method", "named"),
    [
        ("deposito", "el número de operación del depósito"),
        ("cheque", "el número del cheque"),
        ("transferencia", "el número de operación de la transferencia"),
    ],
)
def test_bank_payments_need_their_reference(
    hub_client: TestClient, hub_runtime: HubRuntime, conv: dict[str, Any], method: str, named: str
) -> None:
    for reference in (None, "", "   "):
        body = {"method": method} | ({} if reference is None else {"reference": reference})
        r = _pay(hub_client, conv, **body)
        assert r.status_code == 422, r.text
        err = r.json()["detail"][0]
        assert (err["type"], err["loc"]) == ("payment_reference_required", ["body", "reference"])
        assert err["msg"] == (
            f"Indique {named}: con él se concilia el pago con el estado de cuenta del banco."
        )
    for bad in ("12", "OP 1\t2", "9" * 41):
        err = _pay(hub_client, conv, method=method, reference=bad).json()["detail"][0]
        assert (err["type"], err["loc"][-1]) == ("payment_reference_invalid", "reference"), bad
        assert "de 3 a 40 caracteres" in err["msg"]
    assert _count(hub_runtime.engine, "SELECT count(*) FROM hub_convenio_payment") == 0

    ok = _pay(hub_client, conv, method=method, reference="  OP 000123 BN  ")
    assert ok.status_code == 201, ok.text
    assert (ok.json()["method"], ok.json()["reference"]) == (method, "OP 000123 BN")


def test_cash_and_other_payments_still_need_none(
    hub_client: TestClient, conv: dict[str, Any]
) -> None:
    for method in ("efectivo", "otro"):
        r = _pay(hub_client, conv, method=method)
        assert r.status_code == 201, r.text
        assert r.json()["reference"] == ""
    # but what is given follows the same format
    r = _pay(hub_client, conv, method="efectivo", reference="ab")
    assert r.json()["detail"][0]["type"] == "payment_reference_invalid"


def test_the_payment_form_marks_the_reference_required_for_bank_methods(
    hub_client: TestClient, conv: dict[str, Any]
) -> None:
    acc = hub_client.get(f"/api/web/convenios/{conv['id']}", headers=conv["admin"])
    assert acc.status_code == 200, acc.text
    flags = {m["value"]: m["reference_required"] for m in acc.json()["methods"]}
    assert flags == {
        "transferencia": True, "deposito": True, "cheque": True, "efectivo": False, "otro": False,
    }  # fmt: skip
    page = hub_client.get("/panel/convenios")
    assert page.status_code == 200
    assert 'id="pay-reference-required"' in page.text
    assert 'title="Obligatoria en transferencias, depósitos y cheques' in page.text
    js = hub_client.get(f"/panel/static/{ASSET_VERSION}/pages/convenios.js").text
    assert "reference_required" in js and "markReference" in js


# ------------------------------------------------------------------ 2. dashboard new patients
def patients_that_tell_the_definitions_apart(engine: Engine) -> None:
    """In November at S01: A and E only cancelled orders; B first at S02 (5th) then at S01;
    C recurring (October at S01); D new with a valid order. Chain: old A B D E = 4, now B D = 2;
    S01: old A D E = 3 (B's first order was at S02), now B D = 2."""
    a, b, c, d, e = (new_id() for _ in range(5))
    oct_s01 = SedeDay(engine, "S01", dt.date(2026, 10, 15))
    oct_s01.order("30.00", patient_id=c)
    s02 = SedeDay(engine, "S02", dt.date(2026, 11, 5))
    s02.order("40.00", patient_id=b)
    s01 = SedeDay(engine, "S01", dt.date(2026, 11, 20))
    s01.order("25.00", patient_id=a, status="anulada")
    s01.order("25.00", patient_id=e, status="anulada")
    s01.order("40.00", patient_id=b)
    s01.order("30.00", patient_id=c)
    s01.order("50.00", patient_id=d)
    for day in (oct_s01, s02, s01):
        day.push(day.all_rows())


def _old_definition(engine: Engine, sedes: list[str] | None) -> int:
    """What the dashboard counted before: first orders (any status) at the sedes, in the period."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM rpt_patient_first WHERE first_date BETWEEN :f AND :t "
                    "AND (CAST(:s AS text[]) IS NULL OR first_sede_id = ANY(:s))"
                ),
                {"f": dt.date(2026, 11, 1), "t": dt.date(2026, 11, 29), "s": sedes},
            ).scalar_one()
        )


def _new_patients(client: TestClient, headers: dict[str, str], **params: str) -> list[int]:
    q = PERIOD | params
    dash = client.get("/api/reports/dashboard", params=q, headers=headers)
    assert dash.status_code == 200, dash.text
    chart = client.get("/api/web/charts", params=q | {"part": "patients"}, headers=headers)
    assert chart.status_code == 200, chart.text
    report = client.get("/api/reports/patients-analysis", params=q, headers=headers)
    assert report.status_code == 200, report.text
    nuevo = [r["patients"] for r in report.json()["rows"] if r["label"] == "nuevo"]
    return [dash.json()["new_patients"], chart.json()["patients_new"], *nuevo]


@pytest.mark.parametrize(
    ("role", "sede_ids", "params", "old_sedes", "old"),
    [
        (Role.ADMIN, None, {}, None, 4),
        (Role.ADMIN, None, {"sede": S01}, [S01], 3),
        (Role.SUPERVISOR, [S01], {}, [S01], 3),
        (Role.SUPERVISOR, [S01, S02], {}, [S01, S02], 4),  # several sedes: by DISTINCT
    ],
)
def test_dashboard_counts_new_patients_like_the_chart_and_the_report(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    role: Role,
    sede_ids: list[str] | None,
    params: dict[str, str],
    old_sedes: list[str] | None,
    old: int,
) -> None:
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    patients_that_tell_the_definitions_apart(hub_runtime.engine)
    extra = {} if sede_ids is None else {"sede_ids": sede_ids}
    headers = auth_headers(hub_runtime, role, **extra)
    assert _old_definition(hub_runtime.engine, old_sedes) == old  # the data tells them apart
    assert _new_patients(hub_client, headers, **params) == [2, 2, 2]


# ------------------------------------------------------------------ 3. audit sede backfill
EVENTS: list[tuple[str, str | None, str | None, dict[str, Any], str | None]] = [
    # action, record_type, record_id, details, the sede it should end with
    ("sede.update", "sede", S01, {"fields": ["name"]}, S01),
    ("lab_sede.update", "sede", S02, {"lab_system_id": None}, S02),
    ("reconciliation.reopen", "reconciliation_closure", "CLOSURE", {"reason": "x"}, S02),
    ("reconciliation.execute", "reconciliation_closure", "gone", {"sede_id": S01}, S01),
    ("convenio.statement", "convenio", "c1", {"month": "2026-11", "sede_id": S02}, S02),
    ("convenio.statement", "convenio", "c1", {"month": "2026-11", "sede_id": None}, None),
    ("reconciliation.execute", "reconciliation_closure", "x", {"sede_id": "no-such"}, None),
    ("sede.update", "sede", "no-such-sede", {}, None),
    ("login", None, None, {}, None),
    ("user.create", "user", "u1", {"sede_ids": [S01]}, None),
    ("convenio.payment", "convenio_payment", "p1", {"convenio_id": "c1"}, None),
    ("patient.read", "patient", "p1", {}, None),
]


def old_hub_with_events(engine: Engine, *, without_column: bool) -> dict[str, str]:
    """Take the hub back to 0003 (and, ``without_column``, to before ``sede_id`` existed),
    then record ``EVENTS`` as the hub did then: without a sede. Returns event id -> action."""
    migrations.command.downgrade(migrations.alembic_config(MIGRATIONS, engine), "0003")
    now = dt.datetime(2026, 11, 28, 15, 0, tzinfo=dt.UTC)
    ids: dict[str, str] = {}
    with engine.begin() as conn:
        closure = new_id()
        conn.execute(
            text(
                "INSERT INTO recon_closure (id, sede_id, business_date, status, figures, "
                "seal_figures, method_totals, adjusted_figures, late_adjustments, "
                "has_late_adjustments, discrepancy_count, critical_count, executed_at, "
                "executed_by, runs, reopen_count, created_at, updated_at) VALUES (:id, :s, "
                "'2026-11-27', 'reabierto', '{}', '{}', '{}', '{}', '[]', false, 0, 0, :now, "
                "'admin', 1, 1, :now, :now)"
            ),
            {"id": closure, "s": S02, "now": now},
        )
        if without_column:
            conn.execute(text("DROP INDEX ix_hub_audit_event_sede_id"))
            conn.execute(text("ALTER TABLE hub_audit_event DROP COLUMN sede_id"))
        for i, (action, rtype, rid, details, _) in enumerate(EVENTS):
            event_id = new_id()
            ids[event_id] = action
            conn.execute(
                text(
                    "INSERT INTO hub_audit_event (id, action, username, record_type, record_id, "
                    "details, created_at) VALUES (:id, :a, 'admin', :rt, :rid, CAST(:d AS json), "
                    ":at)"
                ),
                {
                    "id": event_id, "a": action, "rt": rtype,
                    "rid": closure if rid == "CLOSURE" else rid,
                    "d": json.dumps(details),
                    "at": now + dt.timedelta(minutes=i),
                },
            )  # fmt: skip
        # recorded with its sede after the column existed: left as it is
        if not without_column:
            conn.execute(
                text(
                    "INSERT INTO hub_audit_event (id, action, record_type, record_id, sede_id, "
                    "details, created_at) VALUES (:id, 'sede.update', 'sede', :s1, :s3, '{}', "
                    ":at)"
                ),
                {"id": "kept", "s1": S01, "s3": S03, "at": now},
            )
    return ids


def expected_sedes(ids: dict[str, str]) -> list[str | None]:
    return [EVENTS[i][4] for i in range(len(ids))]


def sedes_in_order(engine: Engine) -> list[str | None]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT sede_id FROM hub_audit_event WHERE id <> 'kept' ORDER BY created_at, id")
        ).all()
    return [r[0] for r in rows]


@pytest.mark.parametrize("without_column", [False, True])
def test_migration_0004_gives_old_events_their_sede(
    hub_client: TestClient, hub_runtime: HubRuntime, without_column: bool
) -> None:
    for code in ("S01", "S02", "S03"):
        make_sede(hub_runtime, code)
    engine = hub_runtime.engine
    ids = old_hub_with_events(engine, without_column=without_column)
    sup = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S02])
    if not without_column:
        assert sedes_in_order(engine) == [None] * len(EVENTS)
        before = hub_client.get("/api/audit", headers=sup)
        assert before.status_code == 200 and before.json()["total"] == 0  # nothing to see

    migrations.upgrade(MIGRATIONS, engine)  # what `labred migrate hub` runs
    assert migrations.current_revision(engine) == migrations.head_revision(MIGRATIONS)
    assert sedes_in_order(engine) == expected_sedes(ids)
    if not without_column:
        kept = _count(engine, f"SELECT count(*) FROM hub_audit_event WHERE sede_id = '{S03}'")
        assert kept == 1  # an event that had its sede keeps it
    else:
        index = _count(
            engine,
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_hub_audit_event_sede_id'",
        )
        assert index == 1

    seen = hub_client.get("/api/audit", headers=sup)
    assert seen.status_code == 200, seen.text
    assert sorted(e["action"] for e in seen.json()["items"]) == [
        "convenio.statement", "lab_sede.update", "reconciliation.reopen",
    ]  # fmt: skip
    # idempotent: running the step again changes nothing
    migrations.command.downgrade(migrations.alembic_config(MIGRATIONS, engine), "0003")
    migrations.upgrade(MIGRATIONS, engine)
    assert sedes_in_order(engine) == expected_sedes(ids)
