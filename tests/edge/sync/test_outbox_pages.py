"""The outbox is one b-tree appended in ``seq`` order: a sale's ~10 outbox rows land on the
last page or two of it. The former index on (record_type, record_id) put each row of another
record type on another leaf page: ~15 of the ~77 pages one sale wrote to the WAL (and to the
database again at the checkpoint). What reads the outbox reads it by ``seq``."""

from __future__ import annotations

import sqlite3
import struct
import uuid
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from edge.runtime import EdgeRuntime
from edge.sync.digests import patients_settled
from sync import outbox
from tests.edge.orders.helpers import load_catalog, make_patient, seller, sid

WAL_HEADER, FRAME_HEADER = 32, 24


def _wal_pages(db: Path, page_size: int) -> list[int]:
    """The page number of every frame in ``db``'s WAL."""
    data = (db.parent / (db.name + "-wal")).read_bytes()
    pages, offset = [], WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(data):
        pages.append(struct.unpack(">I", data[offset : offset + 4])[0])
        offset += FRAME_HEADER + page_size
    return pages


def _earlier_days(db: Path, sales: int = 3000) -> None:
    """The outbox rows of ``sales`` earlier sales (10 record types each), already acked."""
    types = ("order", "order_item", "order_status_event", "payment", "invoice", "invoice_line",
             "sample", "lab_job", "patient", "cash_session")  # fmt: skip
    with sqlite3.connect(db, isolation_level=None) as side:
        side.execute("BEGIN IMMEDIATE")
        (last,) = side.execute("SELECT last_seq FROM sync_state WHERE id = 1").fetchone()
        rows = [
            (last + 1 + n, f"tx-{n // 10}", types[n % 10], str(uuid.UUID(int=n)), "upsert",
             "{}", "0", 1, None, None, "2026-01-01T00:00:00Z")
            for n in range(sales * 10)
        ]  # fmt: skip
        side.executemany("INSERT INTO sync_outbox VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        seq = last + len(rows)
        side.execute("UPDATE sync_state SET last_seq = ?, acked_seq = ? WHERE id = 1", (seq, seq))
        side.execute("COMMIT")


@pytest.fixture
def sale(edge_client: TestClient, edge_runtime: EdgeRuntime) -> dict[str, object]:
    load_catalog(edge_runtime)
    _, headers = seller(edge_runtime)
    edge_client.headers.update(headers)
    return {
        "patient_id": make_patient(edge_runtime).id,
        "items": [sid("HEM-001"), sid("BIO-010")],
        "document_type": "03",
        "payments": [{"method": "tarjeta", "amount": "47.50", "reference": "OP-1"}],
    }


def test_a_sale_writes_its_outbox_rows_on_a_few_pages(
    edge_client: TestClient, edge_runtime: EdgeRuntime, sale: dict[str, object]
) -> None:
    for _ in range(3):  # the day's counters, series and first pages exist
        assert edge_client.post("/api/orders", json=sale).status_code == 201
    db = edge_runtime.settings.db_path
    _earlier_days(db)
    with sqlite3.connect(db, isolation_level=None) as side:
        side.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = side.execute("PRAGMA page_size").fetchone()[0]
    r = edge_client.post("/api/orders", json=sale)
    assert r.status_code == 201, r.text
    pages = _wal_pages(db, page_size)  # this sale's commit: one frame per page it changed
    with sqlite3.connect(db) as side:
        owner = dict(side.execute("SELECT pageno, name FROM dbstat"))
        (rows,) = side.execute(
            "SELECT count(*) FROM sync_outbox WHERE tx_id ="
            " (SELECT tx_id FROM sync_outbox ORDER BY seq DESC LIMIT 1)"
        ).fetchone()
    written = Counter(owner.get(p, "?") for p in pages)
    outbox_pages = sum(n for name, n in written.items() if "sync_outbox" in name)
    assert rows >= 9  # order, 2 items, status event, payment, invoice, 2 lines, samples...
    assert outbox_pages <= 4, written
    assert len(pages) < 70, written  # ~77 with the index


def test_the_unacked_patient_rows_are_found_by_seq(edge_runtime: EdgeRuntime) -> None:
    with edge_runtime.engine.connect() as conn:
        assert patients_settled(conn)  # nothing written yet
        outbox.ensure_state(conn)
        plan = " ".join(
            str(row[-1])
            for row in conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT seq FROM sync_outbox"
                    " WHERE record_type = 'patient' AND seq > 5 LIMIT 1"
                )
            )
        )
    assert "INTEGER PRIMARY KEY (rowid>?)" in plan, plan  # the unacked tail only
