"""The dashboard's convenio page: the shell (nav entry, CSP, no inline script) and the view API
behind it (``/api/web/convenios``): balances, days overdue, facturas with their payments,
ageing, charts, sede scoping and who may record payments."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from central.web.router import ASSET_VERSION
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.catalog.convenio_builders import NOW, RUC, two_months

S01, S02 = sede_id_for("S01"), sede_id_for("S02")


@pytest.fixture
def book(hub_runtime: HubRuntime, hub_client: TestClient) -> dict[str, Any]:
    """SALUD PLUS (30 days): S01 November 80.00 in F001-1 of 01/12 (due 31/12: 15 days late),
    S01 December 160.00 in F001-2 of 02/01 (not due), S02 December 24.00 not invoiced; and an
    empty second convenio."""
    hub_runtime.clock = FixedClock(NOW)
    make_sede(hub_runtime, "S01")
    make_sede(hub_runtime, "S02")
    admin = auth_headers(hub_runtime, Role.ADMIN)
    ids = []
    for ruc, name in ((RUC, "SALUD PLUS EPS S.A."), ("20100070970", "ASEGURADORA ANDINA S.A.")):
        r = hub_client.post(
            "/api/convenios",
            json={"ruc": ruc, "name": name, "coverage_pct": "80", "credit_days": 30},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    conv = ids[0]
    two_months(hub_runtime.engine, conv)
    return {"conv": conv, "other": ids[1], "admin": admin}


def _pay(client: TestClient, b: dict[str, Any], **body: Any) -> Any:
    payload = {"amount": "10.00", "date": "2027-01-10", "method": "transferencia"}
    payload |= {"reference": "OP 000123"} | body
    return client.post(f"/api/convenios/{b['conv']}/payments", json=payload, headers=b["admin"])


# ------------------------------------------------------------------------------ the shell
def test_page_is_in_the_nav_with_csp_and_no_inline_script(hub_client: TestClient) -> None:
    r = hub_client.get("/panel/convenios")
    assert r.status_code == 200
    assert "<h1>Convenios</h1>" in r.text
    link = '<a href="/panel/convenios" data-perm="report.read" hidden aria-current="page">'
    assert link + "Convenios</a>" in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    scripts = re.findall(r"<script\b[^>]*>", r.text)
    assert scripts and all("src=" in s for s in scripts)  # no inline script
    assert not re.search(r"\son[a-z]+\s*=", r.text)  # no inline handlers either
    for form in ("pay-form", "statement-form", "conv-filter"):
        assert f'id="{form}"' in r.text
    other = hub_client.get("/panel/alarmas")
    assert '<a href="/panel/convenios" data-perm="report.read" hidden>Convenios</a>' in other.text
    js = hub_client.get(f"/panel/static/{ASSET_VERSION}/pages/convenios.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert "/api/web/convenios" in js.text and "/payments" in js.text


# ------------------------------------------------------------------------------ the list
def test_list_shows_balance_paid_and_days_overdue(
    hub_client: TestClient, book: dict[str, Any]
) -> None:
    r = hub_client.get("/api/web/convenios", headers=book["admin"])
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["as_of"] == "2027-01-15"
    assert data["can_pay"] is True
    assert [s["code"] for s in data["sedes"]] == ["S01", "S02"]
    first, second = data["items"]
    assert (second["name"], second["balance"], second["overdue_days"]) == (
        "SALUD PLUS EPS S.A.", "264.00", 15,
    )  # fmt: skip
    assert (second["covered"], second["invoiced"], second["not_invoiced"]) == (
        "264.00", "240.00", "24.00",
    )  # fmt: skip
    assert (second["paid"], second["overdue"], second["orders"]) == ("0.00", "80.00", 3)
    assert (first["name"], first["balance"], first["overdue_days"]) == (
        "ASEGURADORA ANDINA S.A.", "0.00", 0,
    )  # fmt: skip

    assert _pay(hub_client, book, amount="80.00", invoice="F001-1").status_code == 201
    after = hub_client.get("/api/web/convenios", headers=book["admin"]).json()["items"][1]
    assert (after["paid"], after["balance"], after["overdue"], after["overdue_days"]) == (
        "80.00", "184.00", "0.00", 0,
    )  # fmt: skip


def test_a_supervisor_sees_only_their_sede_and_no_payment_form(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    sup = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[S02])
    data = hub_client.get("/api/web/convenios", headers=sup).json()
    assert data["can_pay"] is False
    assert [s["code"] for s in data["sedes"]] == ["S02"]
    row = next(c for c in data["items"] if c["id"] == book["conv"])
    assert (row["covered"], row["balance"], row["overdue"]) == ("24.00", "24.00", "0.00")
    acc = hub_client.get(f"/api/web/convenios/{book['conv']}", headers=sup).json()
    assert acc["can_pay"] is False
    assert [s["sede_code"] for s in acc["balance"]["sedes"]] == ["S02"]
    assert acc["facturas"] == []
    denied = hub_client.get(f"/api/web/convenios?sede={S01}", headers=sup)
    assert (denied.status_code, denied.json()["detail"][0]["type"]) == (403, "sede_not_assigned")
    # and the payments endpoint itself refuses the supervisor
    r = hub_client.post(
        f"/api/convenios/{book['conv']}/payments",
        json={"amount": "1.00", "date": "2027-01-10", "method": "efectivo"},
        headers=sup,
    )
    assert (r.status_code, r.json()["detail"][0]["type"]) == (403, "permission_denied")


def test_receptionists_may_not_read_convenio_accounts(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    recep = auth_headers(hub_runtime, Role.RECEPCIONISTA, sede_ids=[S01])
    for path in ("/api/web/convenios", f"/api/web/convenios/{book['conv']}"):
        r = hub_client.get(path, headers=recep)
        assert (r.status_code, r.json()["detail"][0]["type"]) == (403, "permission_denied")
    assert hub_client.get("/api/web/convenios").status_code == 401


# ------------------------------------------------------------------------------ one account
def test_account_shows_facturas_with_payments_aging_and_charts(
    hub_client: TestClient, book: dict[str, Any]
) -> None:
    named = _pay(hub_client, book, amount="50.00", invoice="F001-00000001", reference="OP 1")
    assert named.status_code == 201, named.text
    loose = _pay(hub_client, book, amount="40.00", date="2027-01-12", method="deposito")
    assert loose.status_code == 201, loose.text
    r = hub_client.get(f"/api/web/convenios/{book['conv']}", headers=book["admin"])
    assert r.status_code == 200, r.text
    acc = r.json()
    assert acc["can_pay"] is True
    assert [m["value"] for m in acc["methods"]][:2] == ["transferencia", "deposito"]
    assert acc["balance"]["balance"] == "174.00"  # 264 - 90
    f1, f2 = acc["facturas"]
    # F001-1: 50 named + 30 of the 40 on account -> paid; F001-2 gets the other 10
    assert (f1["invoice"], f1["paid"], f1["outstanding"], f1["on_account"]) == (
        "F001-1", "80.00", "0.00", "30.00",
    )  # fmt: skip
    assert [(p["amount"], p["reference"]) for p in f1["payments"]] == [("50.00", "OP 1")]
    assert (f1["days_overdue"], f1["overdue"]) == (0, False)  # paid: no longer late
    assert (f2["invoice"], f2["paid"], f2["outstanding"], f2["on_account"]) == (
        "F001-2", "10.00", "150.00", "10.00",
    )  # fmt: skip
    assert f2["payments"] == []
    assert [p["invoice"] for p in acc["payments"]] == ["F001-1", None]
    assert {b["label"]: b["amount"] for b in acc["aging"]} == {
        "Por facturar": "24.00", "Por vencer": "150.00", "Vencido 1–30 días": "0.00",
        "Vencido 31–60 días": "0.00", "Vencido 61–90 días": "0.00",
        "Vencido más de 90 días": "0.00",
    }  # fmt: skip
    sedes = ET.fromstring(acc["chart_sedes"])
    bars = {
        b.get("data-label"): b.get("data-value") for b in sedes.iter() if b.get("class") == "bar"
    }
    assert bars == {"S01": "150.00", "S02": "24.00"}
    aging = ET.fromstring(acc["chart_aging"])
    assert "Antigüedad" in (aging.get("aria-label") or "")


def test_overdue_days_fall_into_aging_buckets(
    hub_client: TestClient, hub_runtime: HubRuntime, book: dict[str, Any]
) -> None:
    hub_runtime.clock = FixedClock(NOW + dt.timedelta(days=60))  # 16/03: F001-1 75 d, F001-2 43 d
    admin = auth_headers(hub_runtime, Role.ADMIN)  # a token of the new "now"
    acc = hub_client.get(f"/api/web/convenios/{book['conv']}", headers=admin).json()
    assert [(f["invoice"], f["days_overdue"]) for f in acc["facturas"]] == [
        ("F001-1", 75), ("F001-2", 43),
    ]  # fmt: skip
    aging = {b["label"]: b["amount"] for b in acc["aging"]}
    assert (aging["Vencido 61–90 días"], aging["Vencido 31–60 días"]) == ("80.00", "160.00")
    assert aging["Por vencer"] == "0.00"
    listed = hub_client.get("/api/web/convenios", headers=admin).json()["items"]
    assert next(c for c in listed if c["id"] == book["conv"])["overdue_days"] == 75


def test_unknown_convenio_is_a_spanish_404(hub_client: TestClient, book: dict[str, Any]) -> None:
    r = hub_client.get(f"/api/web/convenios/{new_id()}", headers=book["admin"])
    assert r.status_code == 404
    assert r.json()["detail"][0]["type"] == "convenio_not_found"
    assert r.json()["detail"][0]["msg"] == "El convenio no existe."
