"""The invoice table that cash figures read is reflected once per engine.

Reflected anew at every call, each statement built on it was new to SQLAlchemy's compiled cache
and added an entry that kept the reflected table and the call's bound values (the ids of every
order of the cash session): the edge API grew by about 1 MB at every cash egreso under
bench/bench_soak.py, up to the cache's 500 entries.
"""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc
from pathlib import Path

from sqlalchemy import text

from edge.cash import invoices
from edge.db import make_engine, read_session
from edge.runtime import EdgeRuntime
from tests.edge.factories import SEDE_S01

DAY = dt.date(2026, 11, 29)


def _cached(rt: EdgeRuntime) -> int:
    """Entries in the engine's compiled-statement cache (SQLAlchemy's LRU, 500 by default)."""
    cache = rt.engine._compiled_cache
    assert cache is not None
    return len(cache)


def _read_figures(rt: EdgeRuntime, order_ids: list[str]) -> None:
    with read_session(rt.engine) as session:
        invoices.credit_notes_for_orders(session, order_ids=order_ids)
        invoices.day_figures(session, sede_id=SEDE_S01, day=DAY)


def test_repeated_figures_reuse_their_compiled_statements(edge_runtime: EdgeRuntime) -> None:
    _read_figures(edge_runtime, ["warm-up"])
    cached = _cached(edge_runtime)
    for i in range(25):
        _read_figures(edge_runtime, [f"order-{i}-{k}" for k in range(40)])
    assert _cached(edge_runtime) == cached


def test_repeated_figures_keep_no_memory(edge_runtime: EdgeRuntime) -> None:
    ids = [f"01a22b7b-b55e-7ca3-964c-{k:012d}" for k in range(2000)]
    _read_figures(edge_runtime, list(ids))
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(30):
            _read_figures(edge_runtime, [f"{i[:8]}{i[8:]}" for i in ids])  # new strings
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Before the fix: ~30 cache entries, each with its table and 2,000 ids (≈ 8 MB).
    assert after - before < 1_000_000, f"{(after - before) / 1e6:.1f} MB kept by 30 calls"


def test_a_table_created_later_is_found(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "bare.sqlite3")
    try:
        with read_session(engine) as session:
            assert invoices.day_figures(session, sede_id=SEDE_S01, day=DAY) == {"available": False}
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE invoice (id TEXT PRIMARY KEY, sede_id TEXT, "
                    "business_date DATE, doc_type TEXT, status TEXT, total INTEGER)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO invoice VALUES ('i1', :sede, '2026-11-29', '03', 'aceptado', 1250)"
                ),
                {"sede": SEDE_S01},
            )
        with read_session(engine) as session:
            figures = invoices.day_figures(session, sede_id=SEDE_S01, day=DAY)
        assert figures["available"] is True
        assert figures["count"] == 1
        assert figures["total_cents"] == 1250
    finally:
        engine.dispose()
