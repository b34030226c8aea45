"""Across real processes: a real ``labred edge serve`` (after ``labred edge init
--demo-catalog``) holding the chain's ``results_delivery_hours`` as pulled from the hub answers
a sale over HTTP with the promised results instant computed with those hours (not the
default), ``GET /api/orders/{id}`` returns it, and the boleta's ticket and A4 PDFs fetched over
HTTP print it ("Entrega de resultados: <día> dd/mm/aaaa desde las HH:MM")."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from domain.catalog_data import TESTS, catalog_id_for
from domain.results_promise import (
    DEFAULT_HOURS,
    format_promise,
    parse_delivery_hours,
    promised_at,
)
from tests.edge.billing.process_node import PASSWORD, init_billing_edge
from tests.pdftext import shown
from tests.procs import free_port, open_cash_and_register, running

pytestmark = pytest.mark.slow

# results handed out only on Sunday mornings: a promise no default-hours sale would get
SUNDAYS = {"mon": "", "tue": "", "wed": "", "thu": "", "fri": "", "sat": "", "sun": "09:00-10:00"}
HEM = next(t for t in TESTS if t["code"] == "HEM-001")


def _store_setting(data: Path) -> None:
    """The hub's row as a pull leaves it in the node's database."""
    with sqlite3.connect(data / "edge.sqlite3") as db:
        db.execute(
            "INSERT INTO setting (id, key, value, updated_at) VALUES (?, ?, ?, ?)",
            ("set-hours", "results_delivery_hours", json.dumps(SUNDAYS),
             "2026-11-30T08:00:00.000000+00:00"),
        )  # fmt: skip


def test_a_real_edge_promises_with_the_chain_hours_and_prints_it(tmp_path: Path) -> None:
    port, unused = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    data = init_billing_edge(
        tmp_path / "edge", sim_url=f"http://127.0.0.1:{unused}", edge_port=port
    )
    _store_setting(data)
    with (
        running("edge", "serve", "--data-dir", str(data), "--port", str(port),
                ready_url=f"{url}/ready", log=tmp_path / "edge.log"),
        httpx.Client(base_url=url, timeout=30) as edge,
    ):  # fmt: skip
        r = edge.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        edge.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        patient = {"doc_type": "1", "doc_number": "45678913", "first_names": "ROSA",
                   "last_names": "HUAMÁN TORRES"}  # fmt: skip
        sale = {
            "patient_id": open_cash_and_register(edge, patient, opening_float="100.00"),
            "items": [catalog_id_for("service", "HEM-001")],
            "document_type": "03",
            "payments": [{"method": "efectivo", "amount": "35.00", "tendered": "35.00"}],
        }
        r = edge.post("/api/orders", json=sale)
        assert r.status_code == 201, r.text
        order = r.json()
        sold = dt.datetime.fromisoformat(order["created_at"].replace("Z", "+00:00"))
        got = dt.datetime.fromisoformat(order["results_promised_at"].replace("Z", "+00:00"))
        hours = [HEM["turnaround_hours"]]
        expected = promised_at(
            sold_at=sold, turnaround_hours=hours, hours=parse_delivery_hours(SUNDAYS)
        )
        assert got == expected
        assert got != promised_at(sold_at=sold, turnaround_hours=hours, hours=DEFAULT_HOURS)
        assert format_promise(got).startswith("domingo ")
        read = edge.get(f"/api/orders/{order['id']}")
        assert (
            read.status_code == 200
            and read.json()["results_promised_at"] == (order["results_promised_at"])
        )
        line = f"Entrega de resultados: {format_promise(got)}"
        (boleta,) = edge.get(f"/api/billing/by-order/{order['id']}").json()["items"]
        for fmt_ in ("ticket", "a4"):
            pdf = edge.get(f"/api/billing/{boleta['id']}/pdf", params={"format": fmt_})
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text
            lines = [t.strip() for t in shown(pdf.content)]
            assert line in lines or line in " ".join(lines), (fmt_, lines)
