"""The ``billing.missing_files`` job runs every 20 s over every document of its 8-day window: what
one round holds must stay small per document. Before, it materialised every document's paths
(rows, tuples, per-folder name sets, the ``present`` set of full paths): ~1.3-1.6 KB per
document (bench/bench_edge_worker_memory.py: the only job whose peak grew with the sales,
1.8 -> 2.9 -> 5.2 MB at 1,250 / 2,250 / 3,250 documents), which the worker's allocator keeps.
Now the rows are streamed and only each folder's listing and what is missing are held."""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from domain.clock import business_date
from edge import worker
from edge.billing.missing_files import missing
from edge.billing.models import SunatSummary
from edge.db import read_session
from edge.runtime import EdgeRuntime

DOCUMENTS = 3000
#: Bytes of peak per document allowed: streamed ~450 here, materialised it was ~1,700.
PER_DOCUMENT = 800


def _add_documents(rt: EdgeRuntime, day: dt.date, count: int) -> list[Path]:
    """``count`` accepted summaries of ``day`` with both files on disk (Core: fast)."""
    folder = rt.settings.data_dir / "documents" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []
    paths: list[Path] = []
    for i in range(count):
        stem = f"20100070970-RC-{day:%Y%m%d}-{i}"
        for name in (f"{stem}.xml", f"R-{stem}.zip"):
            (folder / name).write_bytes(b"")
            paths.append(folder / name)
        rows.append({
            "id": f"summary-{i:08d}", "sede_id": "S01", "kind": "RC", "name": f"RC-{i}",
            "correlative": i, "issue_date": day, "reference_date": day, "lines": [],
            "state": "aceptado", "digest_value": "", "attempts": 0, "business_date": day,
            "xml_path": f"documents/{day}/{stem}.xml", "cdr_path": f"documents/{day}/R-{stem}.zip",
            "created_at": now, "updated_at": now,
        })  # fmt: skip
    with rt.engine.begin() as conn:
        conn.execute(insert(SunatSummary.__table__), rows)  # type: ignore[attr-defined]
    return paths


def test_a_round_holds_little_per_document_of_the_window(edge_runtime: EdgeRuntime) -> None:
    rt = edge_runtime
    job = worker.registered_jobs()["billing.missing_files"].fn
    paths = _add_documents(rt, business_date(rt.clock.now()), DOCUMENTS)
    assert job(rt) == 0  # every file is there (and the statements are compiled)
    gc.collect()
    tracemalloc.start()
    try:
        held = tracemalloc.get_traced_memory()[0]
        assert job(rt) == 0
        peak = tracemalloc.get_traced_memory()[1] - held
    finally:
        tracemalloc.stop()
    assert peak < PER_DOCUMENT * DOCUMENTS, f"{peak / DOCUMENTS:.0f} bytes per document"
    # Still finds what is missing: summaries have no invoice_file row, so it is found, not written.
    for path in paths[:3]:
        path.unlink()
    with read_session(rt.engine) as session:
        found = missing(session, rt.settings.data_dir, today=business_date(rt.clock.now()))
    assert sorted(Path(relpath).name for _, _, relpath in found) == sorted(
        p.name for p in paths[:3]
    )
