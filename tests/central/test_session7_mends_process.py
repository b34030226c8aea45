"""The three hub mends across real processes, on the test's PostgreSQL database: a hub at 0003
from before ``hub_audit_event.sede_id`` existed, with sede-less audit events, is upgraded by
``labred migrate hub``; then ``labred hub serve`` shows a supervisor the events of their sede,
refuses a convenio's depósito and cheque without their number, and its dashboard counts new
patients as its patients chart does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest

from central.runtime import HubRuntime
from domain.clock import business_date
from domain.permissions import Role
from tests.central.auth.factories import make_sede, make_user
from tests.central.catalog.convenio_builders import RUC
from tests.central.test_session7_mends import (
    PERIOD,
    S01,
    S02,
    old_hub_with_events,
    patients_that_tell_the_definitions_apart,
)
from tests.procs import bearer, run_labred, serving_hub

pytestmark = pytest.mark.slow
PASSWORD = "clave-central-2026"


def test_an_upgraded_hub_serves_the_three_mends(hub_runtime: HubRuntime, tmp_path: Path) -> None:
    for code in ("S01", "S02", "S03"):
        make_sede(hub_runtime, code)
    make_user(hub_runtime, Role.ADMIN, username="tesorera", password=PASSWORD, sede_ids=[S01])
    make_user(hub_runtime, Role.SUPERVISOR, username="sup.s02", password=PASSWORD,
              sede_ids=[S02])  # fmt: skip
    patients_that_tell_the_definitions_apart(hub_runtime.engine)
    old_hub_with_events(hub_runtime.engine, without_column=True)
    hub_runtime.engine.dispose()

    data = tmp_path / "hub-proc"
    data.mkdir()
    database_url = hub_runtime.settings.database_url or ""
    env = {"LABRED_HUB_RATE_LIMIT_PER_MINUTE": "100000"}
    migrate = run_labred(
        "migrate", "hub", "--data-dir", str(data),
        env={"LABRED_HUB_DATABASE_URL": database_url, **env},
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    with (
        serving_hub(data, database_url, log=tmp_path / "hub.log", env=env) as hub,
        httpx.Client(base_url=hub.url, timeout=30) as sup,
        httpx.Client(base_url=hub.url, timeout=30) as admin,
    ):
        sup.headers.update(bearer(sup, "sup.s02", PASSWORD))
        admin.headers.update(bearer(admin, "tesorera", PASSWORD))

        # 3. the supervisor of S02 now sees the old events of S02
        r = sup.get("/api/audit")
        assert r.status_code == 200, r.text
        assert sorted(e["action"] for e in r.json()["items"]) == [
            "convenio.statement", "lab_sede.update", "reconciliation.reopen",
        ]  # fmt: skip
        assert {e["sede_id"] for e in r.json()["items"]} == {S02}

        # 1. a depósito and a cheque carry their number
        r = admin.post(
            "/api/convenios",
            json={"ruc": RUC, "name": "SALUD PLUS EPS S.A.", "coverage_pct": "80",
                  "credit_days": 30},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        pay_url = f"/api/convenios/{r.json()['id']}/payments"
        today = business_date(dt.datetime.now(dt.UTC)).isoformat()  # Lima, not UTC
        for method, named in (("deposito", "del depósito"), ("cheque", "del cheque")):
            body = {"amount": "100.00", "date": today, "method": method}
            r = admin.post(pay_url, json=body)
            assert r.status_code == 422, r.text
            err = r.json()["detail"][0]
            assert (err["type"], err["loc"]) == (
                "payment_reference_required",
                ["body", "reference"],
            )
            assert named in err["msg"]
            r = admin.post(pay_url, json=body | {"reference": "0042117 BCP"})
            assert r.status_code == 201, r.text
        listed = admin.get(pay_url).json()
        assert [p["reference"] for p in listed["items"]] == ["0042117 BCP", "0042117 BCP"]

        # 2. the dashboard's new patients are the chart's
        dash = admin.get("/api/reports/dashboard", params=PERIOD)
        chart = admin.get("/api/web/charts", params=PERIOD | {"part": "patients"})
        assert dash.status_code == chart.status_code == 200, dash.text + chart.text
        assert dash.json()["new_patients"] == chart.json()["patients_new"] == 2
