"""The charts API draws the figures of the reports for known rows (two sedes, two days)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay

D1, D2 = dt.date(2026, 11, 28), dt.date(2026, 11, 29)
NS = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script>"


def bars(svg: str) -> list[dict[str, str]]:
    return [r.attrib for r in ET.fromstring(svg).iter(f"{NS}rect") if r.get("class") == "bar"]


def seed(rt: HubRuntime) -> None:
    make_sede(rt, "S01")
    make_sede(rt, "S02")
    a = SedeDay(rt.engine, "S01", D1)
    for total, method in (("100.00", "efectivo"), ("50.00", "yape")):
        order = a.order(total, services=[("HEM01", "Hemograma", total)])
        a.payment(order, method=method)
    cancelled = a.order("999.00", status="anulada", services=[("CAN01", "Anulado", "999.00")])
    a.payment(cancelled, method="efectivo", amount="0.00")
    a.push(a.all_rows())
    b = SedeDay(rt.engine, "S02", D2)
    order = b.order("30.00", services=[("XSS01", EVIL, "30.00")])
    b.payment(order, method="tarjeta")
    b.push(b.all_rows())


def test_charts_show_the_known_sales_methods_and_services(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    seed(hub_runtime)
    r = hub_client.get(
        "/api/web/charts?from=2026-11-28&to=2026-11-29", headers=auth_headers(hub_runtime)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    by_day = {(b["data-label"], b["data-day"]): b["data-value"] for b in bars(body["sales_by_day"])}
    assert by_day == {("S01", "2026-11-28"): "150.00", ("S02", "2026-11-29"): "30.00"}
    methods = {b["data-label"]: b["data-value"] for b in bars(body["payment_methods"])}
    assert methods == {"Efectivo": "100.00", "Yape": "50.00", "Tarjeta": "30.00"}
    top = {b["data-label"]: b["data-value"] for b in bars(body["top_services"])}
    # the same figures as the top-services report; the lines of a cancelled order are not sold
    report = hub_client.get(
        "/api/reports/top-services?from=2026-11-28&to=2026-11-29",
        headers=auth_headers(hub_runtime),
    ).json()
    assert top == {row["name"]: str(row["quantity"]) for row in report["rows"]}
    assert top["Hemograma"] == "2" and top[EVIL] == "1"
    assert "Anulado" not in top
    assert "<script>" not in body["top_services"]
    assert "&lt;script&gt;" in body["top_services"]
    months = [(b["data-label"], b["data-value"]) for b in bars(body["monthly"])]
    assert months == [("2026-11", "180.00")]
    patients = {b["data-label"]: b["data-value"] for b in bars(body["patients"])}
    assert patients == {"Nuevo": "3"}


def test_the_sede_filter_narrows_every_chart(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    seed(hub_runtime)
    s02 = make_sede(hub_runtime, "S02").id
    r = hub_client.get(
        f"/api/web/charts?from=2026-11-28&to=2026-11-29&sede={s02}",
        headers=auth_headers(hub_runtime),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert {b["data-label"] for b in bars(body["sales_by_day"])} == {"S02"}
    assert {b["data-label"] for b in bars(body["payment_methods"])} == {"Tarjeta"}


def test_two_services_of_one_name_are_told_apart_by_their_codes(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_sede(hub_runtime, "S01")
    day = SedeDay(hub_runtime.engine, "S01", D1)
    for services in (
        [("HEM01", "Hemograma completo", "35.00"), ("GLU01", "Glucosa", "12.50")],
        [("HEM01", "Hemograma completo", "35.00")],
        [("HEM02", "Hemograma completo", "38.00")],
    ):
        order = day.order(sum_of(services), services=services)
        day.payment(order, method="efectivo")
    day.push(day.all_rows())
    r = hub_client.get(
        "/api/web/charts?from=2026-11-28&to=2026-11-28", headers=auth_headers(hub_runtime)
    )
    assert r.status_code == 200, r.text
    top = {b["data-label"]: b["data-value"] for b in bars(r.json()["top_services"])}
    assert top == {
        "Hemograma completo (HEM01)": "2",
        "Hemograma completo (HEM02)": "1",
        "Glucosa": "1",
    }


def sum_of(services: list[tuple[str, str, str]]) -> str:
    return str(sum(Decimal(price) for _, _, price in services))
