"""Across real processes: the counter (``labred edge serve``) writes no document file; the
worker (``labred edge worker``) writes each signed XML from the database within seconds, without
fsync; and what a power cut can leave of those copies (missing, empty, cut short, zeroed) is
rewritten from the database by the first round of the worker when the machine starts again.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from tests.procs import (
    bearer,
    free_port,
    init_edge,
    labred,
    open_cash_and_register,
    serving_edge,
    terminate,
    until,
)

pytestmark = pytest.mark.slow

PASSWORD = "clave-del-corte-2026"


def test_the_restarted_worker_rewrites_what_a_power_cut_left_of_the_copies(
    tmp_path: Path,
) -> None:
    data = init_edge(tmp_path / "edge", PASSWORD)
    nobody = f"http://127.0.0.1:{free_port()}/billService"  # the worker's SUNAT: no answer
    (data / "edge.toml").write_text(f"sunat_url = {json.dumps(nobody)}\n")
    sale = {
        "items": [catalog_id_for("service", "HEM-001")],
        "document_type": "03",
        "payments": [{"method": "tarjeta", "amount": "35.00", "reference": "OP-1"}],
    }
    paths: list[Path] = []
    with (
        serving_edge(data, log=tmp_path / "edge.log") as edge,
        httpx.Client(base_url=edge.url, timeout=30) as http,
    ):
        http.headers.update(bearer(http, "admin", PASSWORD))
        patient = {"doc_type": "1", "doc_number": "45678912", "first_names": "ROSA",
                   "last_names": "QUISPE MAMANI"}  # fmt: skip
        patient_id = open_cash_and_register(http, patient)
        for _ in range(4):
            r = http.post("/api/orders", json={**sale, "patient_id": patient_id})
            assert r.status_code == 201, r.text
            docs = http.get(f"/api/billing/by-order/{r.json()['id']}").json()["items"]
            paths.append(data / docs[0]["xml_path"])
    with sqlite3.connect(data / "edge.sqlite3") as db:
        stored = dict(
            db.execute(
                "SELECT i.xml_path, f.content FROM invoice i"
                " JOIN invoice_file f ON f.owner_id = i.id AND f.kind = 'xml'"
            )
        )
    assert not any(p.exists() for p in paths)  # the sales' responses waited for no file

    def copied() -> bool:
        return all(p.exists() and p.read_bytes() == stored[str(p.relative_to(data))] for p in paths)

    worker = labred("edge", "worker", "--data-dir", str(data), log=tmp_path / "worker-1.log")
    try:
        until("the worker wrote the four copies", copied, timeout=60)
    finally:
        terminate(worker)
    # what the power cut left
    paths[0].unlink()
    paths[1].write_bytes(b"")
    paths[2].write_bytes(paths[2].read_bytes()[:100])
    paths[3].write_bytes(b"\0" * paths[3].stat().st_size)
    log = tmp_path / "worker-2.log"
    worker = labred("edge", "worker", "--data-dir", str(data), log=log)
    try:
        until("the worker's first round rewrote the four copies", copied, timeout=60)
        # billing.copies may write the missing one first: the verification then finds three
        until(
            "the worker says so",
            lambda: re.search(r"[34] document files were missing", log.read_text()) is not None,
        )
    finally:
        terminate(worker)
