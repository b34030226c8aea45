"""Cost of the pull's foreign-key check (edge.sync.fk_check) per page, against the page's apply
time, on an edge with realistic mirrors and orders.

    .venv/bin/python bench/bench_pull_fk_check.py [--patients 100000] [--orders 200000]
        [--items 100000] [--page 1000] [--rounds 7]

Each page is applied inside a transaction that is rolled back (the database stays as built), in
alternation with the check switched off (the baseline, same run), and the check's own time is
measured by wrapping it. Pages:

- ``settings``: 1,000 settings (no table with a foreign key: the check must cost nothing);
- ``merges``: 50 merges re-pointing the orders of 50 patients (lab_order, 200,000 rows, has a
  foreign key to patient) and 950 settings;
- ``fk-mirror``: 1,000 rows of a mirror with a foreign key (a table made for the bench with
  ``REFERENCES catalog_category``, ``--items`` rows already in it).

For comparison it also times ``PRAGMA foreign_key_check(<table>)`` on the same tables (a full
scan: what a check by table would cost).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Column, MetaData, String, Table  # noqa: E402

from domain.clock import SystemClock  # noqa: E402
from edge.runtime import EdgeRuntime  # noqa: E402
from edge.settings import EdgeSettings  # noqa: E402
from edge.sync import apply, fk_check, mirrors  # noqa: E402
from sync.protocol import FeedChange  # noqa: E402

CLOCK = SystemClock()
ITEM = "bench_panel_item"


def _change(cursor: int, record_type: str, payload: dict[str, Any]) -> FeedChange:
    return FeedChange(
        cursor=cursor,
        tx_id=f"t{cursor}",
        record_type=record_type,
        record_id=str(payload["id"]),
        op="upsert",
        payload=payload,
        schema_version=1,
    )


def _setting(i: int) -> dict[str, Any]:
    return {"id": f"bs{i:08d}", "key": f"bench_{i}", "value": str(i), "updated_at": None}


def _clone(raw: Any, table: str, template: str, n: int, subst: dict[str, str]) -> None:
    """``n`` copies of row ``template`` of ``table`` (columns of ``subst`` computed from n)."""
    cols = [r[1] for r in raw.execute(f"PRAGMA table_info({table})")]
    select = ", ".join(subst.get(c, c) for c in cols)
    raw.execute(
        f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {n}) "
        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM seq, {table} "
        f"WHERE {table}.id = '{template}'"
    )


def build(data: Path, args: argparse.Namespace) -> EdgeRuntime:
    from decimal import Decimal

    from edge.config.service import initialize
    from edge.db import unit_of_work
    from tests.sync.replication_helpers import add_patient, add_sale

    rt = EdgeRuntime.open(EdgeSettings(data_dir=data, jwt_secret="bench-" + "x" * 40))
    rt.migrate()
    with unit_of_work(rt.engine) as session:
        initialize(
            session,
            sede_code="S01",
            sede_name="Sede Central",
            admin_username="admin",
            admin_password="bench-password-1",
            clock=CLOCK,
        )
    sede = rt.sede_id
    assert sede is not None
    pid = add_patient(rt.engine, CLOCK, sede_id=sede, doc="40000000")
    oid, _ = add_sale(
        rt.engine,
        CLOCK,
        sede_id=sede,
        patient_id=pid,
        number="S01-20261129-9999",
        amount=Decimal("10.00"),
    )
    raw = rt.engine.raw_connection()
    try:
        _clone(
            raw,
            "patient",
            pid,
            args.patients,
            {"id": "printf('bp%08d', n)", "doc_number": "printf('5%07d', n)"},
        )
        _clone(
            raw,
            "lab_order",
            oid,
            args.orders,
            {
                "id": "printf('bo%08d', n)",
                "number": "printf('S01-B-%08d', n)",
                "patient_id": f"printf('bp%08d', 1 + n % {args.patients})",
            },
        )
        raw.execute(
            "INSERT INTO catalog_category (id, code, name, active) VALUES ('bc1', 'BC1', 'B', 1)"
        )
        raw.execute(
            f"CREATE TABLE {ITEM} (id VARCHAR(64) PRIMARY KEY, name VARCHAR(80), "
            "category_id VARCHAR(64) REFERENCES catalog_category(id))"
        )
        raw.execute(
            f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < "
            f"{args.items}) INSERT INTO {ITEM} SELECT printf('bi%08d', n), 'x', 'bc1' FROM seq"
        )
        raw.commit()
    finally:
        raw.close()
    return rt


def pages(args: argparse.Namespace) -> dict[str, list[FeedChange]]:
    n = args.page
    settings = [_change(i, "setting", _setting(i)) for i in range(1, n + 1)]
    merges = [
        _change(
            i,
            "patient_alias",
            {"id": f"ba{i:06d}", "alias_id": f"bp{i:08d}", "canonical_id": f"bp{i + 500:08d}"},
        )
        for i in range(1, 51)
    ] + settings[: n - 50]
    items = [
        _change(i, "panel_item", {"id": f"bi{i:08d}", "name": "y", "category_id": "bc1"})
        for i in range(1, n + 1)
    ]
    return {"settings": settings, "merges": merges, "fk-mirror": items}


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labred-fkbench-") as tmp:
        t0 = time.perf_counter()
        rt = build(Path(tmp), args)
        print(f"built: {args.patients} patients, {args.orders} orders, {args.items} FK-mirror rows")
        print(f"       in {time.perf_counter() - t0:.1f} s")
        table = Table(ITEM, MetaData(), Column("id", String, primary_key=True))
        table.append_column(Column("name", String))
        table.append_column(Column("category_id", String))
        mirrors.mirrors()["panel_item"] = table
        real = fk_check.violations
        spent: list[float] = []

        def measured(conn: Any, trace: fk_check.Trace) -> list[fk_check.Violation]:
            start = time.perf_counter()
            try:
                return real(conn, trace)
            finally:
                spent.append((time.perf_counter() - start) * 1000)

        def off(conn: Any, trace: fk_check.Trace) -> list[fk_check.Violation]:
            return []

        def run(page: list[FeedChange]) -> None:
            with rt.engine.connect() as conn:
                tx = conn.begin()
                n = apply.apply_changes(conn, page, now=CLOCK.now())
                assert n == len(page), (n, len(page))
                tx.rollback()

        print(f"{'page':<10} {'apply off ms':>12} {'apply on ms':>12} {'ratio':>6} "
              f"{'check ms':>9} {'check/apply':>11}")  # fmt: skip
        for name, page in pages(args).items():
            on_ms, off_ms, check_ms = [], [], []
            run(page)  # warm-up
            for _ in range(args.rounds):
                fk_check.violations = off  # type: ignore[assignment]
                off_ms.append(timed(lambda: run(page)))  # noqa: B023
                fk_check.violations = measured  # type: ignore[assignment]
                spent.clear()
                on_ms.append(timed(lambda: run(page)))  # noqa: B023
                check_ms.append(sum(spent))
            fk_check.violations = real  # type: ignore[assignment]
            on, base, check = (statistics.median(v) for v in (on_ms, off_ms, check_ms))
            print(f"{name:<10} {base:>12.1f} {on:>12.1f} {on / base:>6.2f} "
                  f"{check:>9.2f} {check / on:>10.1%}")  # fmt: skip
        with rt.engine.connect() as conn:
            for tbl in ("lab_order", ITEM):
                ms = statistics.median(
                    timed(lambda: conn.exec_driver_sql(f"PRAGMA foreign_key_check({tbl})").all())  # noqa: B023
                    for _ in range(3)
                )
                print(f"for comparison: PRAGMA foreign_key_check({tbl}) = {ms:.1f} ms")
        rt.engine.dispose()


if __name__ == "__main__":
    main()
