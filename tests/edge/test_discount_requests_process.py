"""The discount queue across real processes: ``labred edge serve`` and two people signed in.

A receptionist and a supervisor (each logging in over HTTP) share a real edge process: the
receptionist sells at full price and asks for the discount; the supervisor sees it in the
queue and approves it; the receptionist collects the discounted balance. The server is then
restarted and everything (the decision, the order, the outbox rows) is still there.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from domain.permissions import Role
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from tests.edge.factories import SEDE_S01, make_user
from tests.procs import bearer, init_edge, open_cash_and_register, serving_edge

PASSWORD = "clave-del-proceso-cola"


def _login(http: httpx.Client, username: str) -> dict[str, str]:
    return bearer(http, username, PASSWORD)


@pytest.mark.slow
def test_receptionist_asks_supervisor_approves_over_http(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", PASSWORD)
    rt = EdgeRuntime.open(load_edge_settings(data, None))
    assert rt.sede_id == SEDE_S01
    make_user(rt, Role.RECEPCIONISTA, username="rocio", password=PASSWORD)
    make_user(rt, Role.SUPERVISOR, username="sonia", password=PASSWORD)
    rt.engine.dispose()

    log = tmp_path / "edge.log"
    with serving_edge(data, log=log) as edge:
        with httpx.Client(base_url=edge.url, timeout=10) as http:
            clerk, boss = _login(http, "rocio"), _login(http, "sonia")
            patient = {"doc_type": "1", "doc_number": "41234567", "first_names": "JUANA",
                       "last_names": "MAMANI CCORI"}  # fmt: skip
            patient_id = open_cash_and_register(http, patient, headers=clerk)
            items = [catalog_id_for("service", "PAN-LIP"), catalog_id_for("service", "HEM-001")]
            r = http.post(
                "/api/orders", json={"patient_id": patient_id, "items": items}, headers=clerk
            )
            assert r.status_code == 201, r.text
            order = r.json()
            subtotal = order["subtotal"]

            ask = {"kind": "percent", "value": "25", "reason": "Campaña adulto mayor"}
            r = http.post(f"/api/orders/{order['id']}/discount-requests", json=ask, headers=clerk)
            assert r.status_code == 201, r.text
            request_id = r.json()["id"]
            # The receptionist cannot see the queue nor decide; the supervisor can.
            assert http.get("/api/discount-requests", headers=clerk).status_code == 403
            queue = http.get("/api/discount-requests", headers=boss).json()
            assert [i["id"] for i in queue["items"]] == [request_id]
            assert queue["items"][0]["requested_by_name"] == "rocio"

            r = http.post(
                f"/api/discount-requests/{request_id}/approve",
                json={"reason": "Conforme"},
                headers=boss,
            )
            assert r.status_code == 200, r.text
            balance = r.json()["order"]["balance"]
            assert Decimal(r.json()["order"]["discount_total"]) == Decimal(subtotal) / 4
            assert Decimal(balance) == Decimal(subtotal) * 3 / 4

            # The receptionist sees the decision and collects the discounted balance.
            seen = http.get(f"/api/discount-requests/{request_id}", headers=clerk).json()
            assert seen["status"] == "aprobada" and seen["decided_by_name"] == "sonia"
            pay = {"payments": [{"method": "efectivo", "amount": balance, "tendered": "100.00"}]}
            r = http.post(f"/api/orders/{order['id']}/payments", json=pay, headers=clerk)
            assert r.status_code == 201, r.text
            assert r.json()["balance"] == "0.00"

    # A new process finds everything as it was answered.
    with serving_edge(data, log=log) as edge:
        with httpx.Client(base_url=edge.url, timeout=10) as http:
            boss = _login(http, "sonia")
            r = http.get("/api/discount-requests?status=aprobada", headers=boss)
            assert [i["id"] for i in r.json()["items"]] == [request_id]
            assert http.get(f"/api/orders/{order['id']}", headers=boss).json()["balance"] == "0.00"
    conn = sqlite3.connect(data / "edge.sqlite3")
    try:
        kinds = conn.execute(
            "SELECT record_type, count(*) FROM sync_outbox WHERE record_type IN "
            "('discount_request', 'audit_event') GROUP BY record_type"
        ).fetchall()
    finally:
        conn.close()
    assert dict(kinds)["discount_request"] == 2  # asked, approved
    assert dict(kinds)["audit_event"] >= 3  # request, order.discount, approve (+ logins)
