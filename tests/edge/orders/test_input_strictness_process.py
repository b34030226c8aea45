"""Across a real process (`labred edge init --demo-catalog`, then `labred edge serve`): a sale
with a non-ASCII amount, one with an exponent, a Yape payment without its operation number and
an absurd price override are each a 422 over real HTTP with the field's loc, and nothing is
written (the SQLite file is read directly afterwards); the corrected sale then goes through."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from tests.edge.billing.process_node import PASSWORD, init_billing_edge
from tests.procs import free_port, open_cash_and_register, running

pytestmark = pytest.mark.slow
TABLES = ("lab_order", "order_item", "payment", "sync_outbox", "invoice")


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_bad_amount_and_missing_reference_are_422_over_http_with_nothing_written(
    tmp_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # SUNAT is never reached: no document is issued for a refused sale (nothing listens there)
    # (tmp_path / "edge" is taken: the package conftest copies its template database there)
    data = init_billing_edge(tmp_path / "node", sim_url="http://127.0.0.1:9", edge_port=port)
    serve = ("edge", "serve", "--data-dir", str(data), "--port", str(port))
    with (
        running(*serve, ready_url=f"{url}/ready", log=tmp_path / "edge.log"),
        httpx.Client(base_url=url, timeout=30) as edge,
    ):
        r = edge.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        edge.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        patient = {"doc_type": "1", "doc_number": "45678912", "first_names": "ANA",
                   "last_names": "PÉREZ QUISPE"}  # fmt: skip
        patient_id = open_cash_and_register(edge, patient, opening_float="100.00")
        hem = catalog_id_for("service", "HEM-001")
        sale: dict[str, Any] = {"patient_id": patient_id, "items": [hem]}
        db = data / "edge.sqlite3"
        before = _counts(db)

        cases: list[tuple[dict[str, Any], str, list[Any]]] = [
            (
                {"payments": [{"method": "efectivo", "amount": "٣٥.٠٠"}]},
                "amount_invalid",
                ["body", "payments", 0, "amount"],
            ),
            (
                {"payments": [{"method": "efectivo", "amount": "3.5e1"}]},
                "amount_invalid",
                ["body", "payments", 0, "amount"],
            ),
            (
                {"payments": [{"method": "yape", "amount": "35.00"}]},
                "payment_reference_required",
                ["body", "payments", 0, "reference"],
            ),
            (
                {
                    "items": [
                        {"service_id": hem, "unit_price": "9999999.00", "override_reason": "QA"}
                    ]
                },
                "price_override_too_high",
                ["body", "items", 0, "unit_price"],
            ),
        ]
        for patch, code, loc in cases:
            r = edge.post("/api/orders", json={**sale, **patch})
            assert r.status_code == 422, r.text
            detail = r.json()["detail"][0]
            assert (detail["type"], detail["loc"]) == (code, loc), patch
            assert detail["msg"][:1].isupper()
        assert _counts(db) == before

        pay = [{"method": "yape", "amount": "35.00", "reference": "OP 4455667"}]
        r = edge.post("/api/orders", json={**sale, "payments": pay})
        assert r.status_code == 201, r.text
        assert r.json()["payments"][0]["reference"] == "OP 4455667"
        after = _counts(db)
        assert after["lab_order"] == before["lab_order"] + 1
        assert after["payment"] == before["payment"] + 1
