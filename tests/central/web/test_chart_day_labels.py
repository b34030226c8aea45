"""The sales-by-day chart says the year under its columns where "28/11" alone is ambiguous."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from central.web import charts
from domain.clock import business_date
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay


def labels(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [
        t.text or ""
        for t in root.iter("{http://www.w3.org/2000/svg}text")
        if t.get("class") == "lbl" and t.get("text-anchor") == "middle"
    ]


def days(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


def chart(period: list[dt.date], year: int | None) -> str:
    sales = {"S01": {d: Decimal("10.00") for d in period}}
    return charts.stacked_days("Ventas", period, sales, year=year)


def test_days_of_the_current_year_go_without_it() -> None:
    period = days(dt.date(2026, 11, 27), 3)
    assert labels(chart(period, 2026)) == ["27/11", "28/11", "29/11"]


def test_a_period_across_new_year_says_the_year_at_the_start_and_at_the_change() -> None:
    period = days(dt.date(2025, 12, 30), 4)
    assert labels(chart(period, 2026)) == ["30/12/25", "31/12", "01/01/26", "02/01"]


def test_a_period_of_an_earlier_year_says_it_once() -> None:
    period = days(dt.date(2025, 11, 27), 3)
    assert labels(chart(period, 2026)) == ["27/11/25", "28/11", "29/11"]


def test_a_long_period_labels_every_few_days_with_the_year_where_it_changes() -> None:
    period = days(dt.date(2025, 12, 1), 40)  # a label every 5 days
    assert labels(chart(period, 2026)) == [
        "01/12/25", "06/12", "11/12", "16/12", "21/12", "26/12", "31/12", "05/01/26",
    ]  # fmt: skip


def test_the_tooltip_always_has_the_whole_date() -> None:
    period = days(dt.date(2026, 11, 28), 1)
    assert "<title>S01 28/11/2026: S/ 10.00</title>" in chart(period, 2026)


def test_the_charts_api_labels_a_past_new_year_with_both_years(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    year = business_date(hub_runtime.clock.now()).year - 1  # a new year's eve of the past
    eve = dt.date(year - 1, 12, 31)
    make_sede(hub_runtime, "S01")
    day = SedeDay(hub_runtime.engine, "S01", eve)
    day.payment(day.order("80.00", services=[("HEM01", "Hemograma", "80.00")]))
    day.push(day.all_rows())
    r = hub_client.get(
        f"/api/web/charts?from={eve - dt.timedelta(days=1)}&to={eve + dt.timedelta(days=2)}"
        "&part=main",
        headers=auth_headers(hub_runtime),
    )
    assert r.status_code == 200, r.text
    yy, next_yy = f"{eve:%y}", f"{eve + dt.timedelta(days=1):%y}"
    assert labels(r.json()["sales_by_day"]) == [f"30/12/{yy}", "31/12", f"01/01/{next_yy}", "02/01"]
