"""Durability: ``kill -9`` of a real ``labred edge serve`` in the middle of a stream of sales.

Every order the server answered 201 must survive the crash (readable through the API after a
restart and present in the SQLite file), and the file must pass ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from tests.procs import (
    bearer,
    free_port,
    init_edge,
    kill9,
    labred,
    running,
    terminate,
    wait_ready,
)

PASSWORD = "clave-del-proceso-kill9"
ENV = {"LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "1000000"}  # the stream would hit the 100/min limit


def _login(http: httpx.Client) -> dict[str, str]:
    return bearer(http, "admin", PASSWORD)


def _stream_sales(
    base: str, headers: dict[str, str], body: dict[str, object], acked: list[str],
    answers: list[int], stop: threading.Event,
) -> None:  # fmt: skip
    """POST orders until the server dies (or ``stop``); keep the id of every 201."""
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        while not stop.is_set():
            try:
                r = http.post("/api/orders", json=body)
            except httpx.HTTPError:
                return  # the server was killed mid-request: that order was never acknowledged
            answers.append(r.status_code)
            if r.status_code == 201:
                acked.append(r.json()["id"])


@pytest.mark.slow
def test_every_acknowledged_sale_survives_kill9(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", PASSWORD)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "edge.log"
    serve_args = ("edge", "serve", "--data-dir", str(data), "--port", str(port))

    proc = labred(*serve_args, log=log, env=ENV)
    try:
        wait_ready(f"{base}/ready", proc, log)
        with httpx.Client(base_url=base, timeout=10) as http:
            h = _login(http)
            r = http.post("/api/cash/sessions", json={"opening_float": "100.00"}, headers=h)
            assert r.status_code == 201, r.text
            patient = {
                "doc_type": "1",
                "doc_number": "45678912",
                "first_names": "ANA MARÍA",
                "last_names": "PÉREZ QUISPE",
            }
            r = http.post("/api/patients", json=patient, headers=h)
            assert r.status_code == 201, r.text
            patient_id = r.json()["id"]
            service_id = catalog_id_for("service", "HEM-001")
            r = http.get(f"/api/catalog/services/{service_id}", headers=h)
            assert r.status_code == 200, r.text
            price = r.json()["price"]
        body: dict[str, object] = {
            "patient_id": patient_id,
            "items": [service_id],
            "payments": [{"method": "yape", "amount": price, "reference": "OP-KILL9"}],
        }
        acked: list[str] = []
        answers: list[int] = []
        stop = threading.Event()
        streamer = threading.Thread(
            target=_stream_sales, args=(base, h, body, acked, answers, stop), daemon=True
        )
        streamer.start()
        time.sleep(2.0)
        kill9(proc)
        streamer.join(timeout=15)
        stop.set()
        assert not streamer.is_alive()
    finally:
        if proc.poll() is None:
            kill9(proc)

    # Every answer before the kill was a sale; there were enough of them to mean something.
    assert set(answers) == {201}, sorted(set(answers))
    assert len(acked) >= 5, f"only {len(acked)} sales in 2 s"

    db = data / "edge.sqlite3"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {row[0] for row in conn.execute("SELECT id FROM lab_order")}
    finally:
        conn.close()
    missing = [oid for oid in acked if oid not in stored]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged orders lost: {missing[:5]}"

    with running(*serve_args, ready_url=f"{base}/ready", log=log, env=ENV) as again:
        with httpx.Client(base_url=base, timeout=10) as http:
            h = _login(http)
            for oid in acked:
                r = http.get(f"/api/orders/{oid}", headers=h)
                assert r.status_code == 200, (oid, r.status_code, r.text)
                assert r.json()["id"] == oid and r.json()["balance"] == "0.00"
        assert terminate(again) == 0
