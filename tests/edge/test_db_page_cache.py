"""The SQLite page caches of an edge process stay bounded as the database grows.

Every pooled connection keeps its own page cache, filled as it reads and never emptied (a pooled
connection is never closed). bench/bench_soak.py saw the API and the worker grow by ~18 and
~27 MB per 1,000 sales: 16 connections at 16 MB each, filling as the database grew. Here a
database larger than any one cache is read through every connection the pool allows at once,
and the memory the process gained is measured (``RssAnon`` in ``/proc/self/status``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from edge.db import PAGE_CACHE_KIB, make_engine

CONNECTIONS = 16  # make_engine's pool_size 8 + max_overflow 8
DB_MB = 20
BUDGET_MB = 64  # of memory a process may give the page caches of its pool


def anon_mb() -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"RssAnon:\s+(\d+) kB", status)
    assert match is not None
    return int(match.group(1)) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_every_connection_reading_a_big_database_stays_within_the_cache_budget(
    tmp_path: Path,
) -> None:
    engine = make_engine(tmp_path / "big.sqlite3")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE blob_row (id INTEGER PRIMARY KEY, body BLOB)"))
            conn.execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :k)"
                    " INSERT INTO blob_row (body) SELECT randomblob(4000) FROM n"
                ),
                {"k": DB_MB * 256},
            )
        before = anon_mb()
        held = [engine.connect() for _ in range(CONNECTIONS)]
        try:
            for conn in held:
                total = conn.execute(text("SELECT sum(length(body)) FROM blob_row")).scalar()
                assert total == DB_MB * 256 * 4000
            grown = anon_mb() - before
        finally:
            for conn in held:
                conn.close()
    finally:
        engine.dispose()
    # 16 caches of 2 MB and the connections themselves; 16 MB caches filled from the 20 MB
    # database were ~256 MB
    assert grown < BUDGET_MB, f"{grown:.0f} MB for {CONNECTIONS} connections"
    assert CONNECTIONS * PAGE_CACHE_KIB / 1024 < BUDGET_MB
