"""Successive units of work reuse the connection that wrote last, whose page cache is current.

In WAL mode a connection that begins a transaction after *another* connection committed
drops its whole page cache and reads every page again (``pread`` of the database and the
WAL). With the pool handing out its connections in turn (first in, first out), a sale almost
always ran on a connection that had not written the sale before it: ~114 page reads per sale
(strace of a sales loop) instead of ~8. The pool hands out the connection returned last, so
the writer's cache stays warm. Measured here with the process's read system calls (``syscr``
of ``/proc/self/io``), which count every page SQLite reads from the files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import load_catalog, make_patient, seller, sid

SALES = 40
HELD = 6  # connections in the pool at once, as under concurrent requests


def read_calls() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    raise AssertionError("no syscr in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
def test_a_sale_does_not_read_its_pages_again_from_the_files(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    load_catalog(edge_runtime)
    _, headers = seller(edge_runtime)
    edge_client.headers.update(headers)
    sale = {
        "patient_id": make_patient(edge_runtime).id,
        "items": [sid("HEM-001"), sid("BIO-010")],
        "document_type": "03",
        "payments": [{"method": "tarjeta", "amount": "47.50", "reference": "OP-1"}],
    }
    engine = edge_runtime.engine
    held = [engine.connect() for _ in range(HELD)]  # the pool now keeps HELD connections
    for conn in held:
        assert conn.execute(text("SELECT count(*) FROM lab_order")).scalar() == 0
        conn.close()
    for _ in range(5):  # every table and index of a sale has been read once
        assert edge_client.post("/api/orders", json=sale).status_code == 201

    before = read_calls()
    for _ in range(SALES):
        assert edge_client.post("/api/orders", json=sale).status_code == 201
    per_sale = (read_calls() - before) / SALES

    assert engine.pool.checkedin() >= HELD  # type: ignore[attr-defined]
    # first in, first out: ~71 read calls per sale here; the last connection back: ~0
    assert per_sale < 10, f"{per_sale:.0f} read calls per sale"
