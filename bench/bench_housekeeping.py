"""Pruning 1,000,000 acknowledged outbox rows at a sede, while reception keeps writing.

    .venv/bin/python bench/bench_housekeeping.py [--rows 1000000] [--batch 5000]

Builds a migrated edge database (real SQLite file, WAL, ``synchronous=FULL``) holding ``--rows``
acknowledged outbox rows 40 days old (a realistic ~600-byte row image each), copies it, and
prunes the same rows two ways:

- baseline: one plain ``DELETE FROM sync_outbox WHERE seq <= ?`` in one transaction (what a
  naive job would do: every writer waits for all of it);
- measured: :func:`edge.housekeeping.prune_outbox`, ``--batch`` rows per short unit of work
  (writer lock + ``BEGIN IMMEDIATE`` per batch).

In both runs a "sale" thread writes one small transaction through ``unit_of_work`` every
20 ms; its longest wait is the longest a sale waited for the pruning. Prints total times, the
longest batch, the sale waits and the ratios. Fails (exit 1) only if the batched prune leaves
rows behind or a sale waited longer than ``--max-wait-ms`` (default 1000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text, update  # noqa: E402

from domain.clock import FixedClock, SystemClock  # noqa: E402
from domain.ids import new_id  # noqa: E402
from edge import housekeeping  # noqa: E402
from edge.db import make_engine, unit_of_work  # noqa: E402
from edge.runtime import EdgeRuntime  # noqa: E402
from edge.settings import EdgeSettings  # noqa: E402
from sync import outbox  # noqa: E402

CHUNK = 20_000


def build(data: Path, rows: int) -> Path:
    """A migrated edge database with ``rows`` acknowledged outbox rows, 40 days old."""
    rt = EdgeRuntime.open(EdgeSettings(data_dir=data, jwt_secret="bench-" + "b" * 40))
    rt.migrate()
    engine = rt.engine
    old = SystemClock().now() - dt.timedelta(days=40)
    payload = json.dumps({"id": new_id(), "note": "x" * 480, "total": "125.00"})
    with unit_of_work(engine) as session:
        outbox.ensure_state(session.connection())
    seq = 0
    while seq < rows:
        n = min(CHUNK, rows - seq)
        batch = [
            {
                "seq": seq + i + 1,
                "tx_id": new_id(),
                "record_type": "order",
                "record_id": new_id(),
                "op": "upsert",
                "payload": payload,
                "hlc": "0192f0a1b2c3-0000-node",
                "schema_version": 1,
                "sede_id": None,
                "business_date": old.date().isoformat(),
                "created_at": old,
            }
            for i in range(n)
        ]
        with unit_of_work(engine) as session:
            session.connection().execute(insert(outbox.outbox), batch)
        seq += n
    with unit_of_work(engine) as session:
        session.connection().execute(
            update(outbox.sync_state)
            .where(outbox.sync_state.c.id == 1)
            .values(last_seq=seq, acked_seq=seq)
        )
    engine.dispose()
    return rt.settings.db_path


class Sales(threading.Thread):
    """One small write transaction every 20 ms; records how long each waited and took."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.stop = threading.Event()
        self.waits: list[float] = []

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            with unit_of_work(self.engine) as session:
                session.connection().execute(
                    text("UPDATE sync_state SET updated_at = updated_at WHERE id = 1")
                )
            self.waits.append(time.perf_counter() - started)
            self.stop.wait(0.02)


def timed(engine: Engine, work: object) -> tuple[float, Sales]:
    sales = Sales(engine)
    sales.start()
    time.sleep(0.2)
    started = time.perf_counter()
    work()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    time.sleep(0.1)
    sales.stop.set()
    sales.join()
    return elapsed, sales


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=housekeeping.BATCH_ROWS)
    ap.add_argument("--max-wait-ms", type=float, default=1000.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hk-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        db = build(root / "a", args.rows)
        print(f"built {args.rows:,} acknowledged outbox rows in {time.perf_counter() - t0:.1f} s")
        (root / "b").mkdir()
        shutil.copy(db, root / "b" / db.name)

        base_engine = make_engine(root / "b" / db.name)

        def plain() -> None:
            with unit_of_work(base_engine) as session:
                session.connection().execute(
                    text("DELETE FROM sync_outbox WHERE seq <= :s"), {"s": args.rows}
                )

        base_s, base_sales = timed(base_engine, plain)
        base_engine.dispose()

        engine = make_engine(db)
        report = housekeeping.Report()
        clock = FixedClock(SystemClock().now())

        def batched() -> None:
            housekeeping.prune_outbox(
                engine, clock=clock, days=32, batch_rows=args.batch, report=report
            )

        run_s, run_sales = timed(engine, batched)
        with engine.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM sync_outbox")).scalar_one()
        engine.dispose()

    deleted = report.deleted.get("sync_outbox", 0)
    b_wait, r_wait = max(base_sales.waits), max(run_sales.waits)
    head = f"{'':30}{'total':>12}{'longest tx':>12}{'sale max wait':>15}{'sale p50':>12}"
    print(head)
    rows = (
        ("baseline: one DELETE", base_s, base_s, b_wait, base_sales.waits),
        (f"batched: {report.batches} txs of {args.batch:,}", run_s, report.longest_batch_s,
         r_wait, run_sales.waits),
    )  # fmt: skip
    for label, total, longest, wait, waits in rows:
        print(
            f"{label:30}{ms(total):>12}{ms(longest):>12}{ms(wait):>15}"
            f"{ms(statistics.median(waits)):>12}"
        )
    print(
        f"ratio batched/baseline: total {run_s / base_s:.2f}x, longest writer wait "
        f"{r_wait / b_wait:.3f}x ({deleted:,} rows deleted, {left} left, "
        f"{args.rows / run_s:,.0f} rows/s)"
    )
    ok = left == 0 and deleted == args.rows and r_wait * 1000 <= args.max_wait_ms
    if not ok:
        print("FAIL: rows left behind or a sale waited too long", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
