"""The dashboard asks for the patients chart apart (``part=patients``), from the projection."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from central.web import dashboard
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay

DAY = dt.date(2026, 11, 20)
Q = "from=2026-11-01&to=2026-11-29"


def test_main_and_patients_parts_split_the_charts(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_sede(hub_runtime, "S01")
    day = SedeDay(hub_runtime.engine, "S01", DAY)
    for total in ("40.00", "60.00"):
        day.payment(day.order(total, services=[("HEM01", "Hemograma", total)]))
    day.push(day.all_rows())
    headers = auth_headers(hub_runtime)
    main = hub_client.get(f"/api/web/charts?{Q}&part=main", headers=headers).json()
    assert main["patients"] == ""
    assert all(main[k].startswith("<svg") for k in ("sales_by_day", "monthly", "top_services"))
    only = hub_client.get(f"/api/web/charts?{Q}&part=patients", headers=headers).json()
    assert only["sales_by_day"] == "" and 'data-label="Nuevo"' in only["patients"]
    bad = hub_client.get(f"/api/web/charts?{Q}&part=otro", headers=headers)
    assert bad.status_code == 422


def test_patients_split_follows_new_data_at_once(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    from central.db import unit_of_work
    from central.reports.filters import Filters

    make_sede(hub_runtime, "S01")
    day = SedeDay(hub_runtime.engine, "S01", DAY)
    first = day.order("40.00", services=[("HEM01", "Hemograma", "40.00")])
    day.payment(first)
    day.push(day.all_rows())
    filters = Filters(dt.date(2026, 11, 1), dt.date(2026, 11, 29), None)
    with unit_of_work(hub_runtime.engine) as session:
        before = dashboard.patients_split(session=session, filters=filters)
    more = SedeDay(hub_runtime.engine, "S01", DAY + dt.timedelta(days=1))
    more.order("40.00", services=[("HEM01", "Hemograma", "40.00")])
    more.order("30.00", patient_id=first["patient_id"])  # the same patient comes back
    more.push(more.all_rows())
    later = Filters(DAY + dt.timedelta(days=1), dt.date(2026, 11, 29), None)
    with unit_of_work(hub_runtime.engine) as session:
        after = dashboard.patients_split(session=session, filters=filters)
        only_later = dashboard.patients_split(session=session, filters=later)
    assert before == {"nuevo": 1, "recurrente": 0}
    assert after == {"nuevo": 2, "recurrente": 0}
    assert only_later == {"nuevo": 1, "recurrente": 1}
    headers = auth_headers(hub_runtime)
    svg = hub_client.get(f"/api/web/charts?{Q}&part=patients", headers=headers).json()
    assert 'data-label="Nuevo" data-value="2"' in svg["patients"]
