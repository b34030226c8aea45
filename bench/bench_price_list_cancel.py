"""Cancelling a whole list of scheduled prices (an import "desde" a wrong date) at once.

    .venv/bin/python bench/bench_price_list_cancel.py [--tests 600] [--data-dir DIR]

N tests in a fresh hub database (embedded PostgreSQL unless DATABASE_URL is set) get a price
scheduled from a date a month ahead, through ``central.catalog.prices.change_price`` (what the
import does row by row), timed: that is the baseline, the work being undone. Then
``scheduled_prices.cancel_list`` cancels every one in one unit of work (one audit row), timed;
the prices are scheduled again and cancelled one test at a time
(``scheduled_prices.cancel_service_price``, what the editor's button does N times), timed.
Budget: the list cancelled well under the 60 s a reverse proxy usually waits for an answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_catalog_import import fill  # noqa: E402
from hub_bench import open_hub  # noqa: E402
from sqlmodel import select  # noqa: E402

from central.catalog import prices, scheduled_prices  # noqa: E402
from central.catalog.models import CatalogService  # noqa: E402
from central.db import unit_of_work  # noqa: E402
from domain.clock import SystemClock, business_date  # noqa: E402

BUDGET_S = 60.0


def schedule_all(rt: object, when: dt.date, bump: int) -> float:
    clock = SystemClock()
    t = time.perf_counter()
    with unit_of_work(rt.engine) as s:  # type: ignore[attr-defined]
        for svc in s.exec(select(CatalogService)).all():
            prices.change_price(session=s, clock=clock, actor=None, service=svc,
                                price_cents=svc.price_cents + bump, effective_from=when,
                                reason="Tarifario (bench)")  # fmt: skip
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=600)
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    rt, _ = open_hub(args.data_dir)
    clock = SystemClock()
    fill(rt, args.tests)
    when = business_date(clock.now()) + dt.timedelta(days=30)

    schedule_s = schedule_all(rt, when, 100)
    t = time.perf_counter()
    with unit_of_work(rt.engine) as s:
        count = scheduled_prices.cancel_list(
            session=s, clock=clock, actor=None, effective_from=when
        )
    cancel_s = time.perf_counter() - t
    assert count == args.tests, count
    with unit_of_work(rt.engine) as s:
        assert scheduled_prices.pending_lists(session=s) == []

    schedule_all(rt, when, 200)
    t = time.perf_counter()
    with unit_of_work(rt.engine) as s:
        ids = list(s.exec(select(CatalogService.id)).all())
    for sid in ids:
        with unit_of_work(rt.engine) as s:
            scheduled_prices.cancel_service_price(
                session=s, clock=clock, actor=None, service_id=sid, effective_from=when
            )
    one_by_one_s = time.perf_counter() - t

    n = args.tests
    print(f"cancel a list of {n} scheduled prices (one date)")
    print(f"  baseline: schedule them (change_price x {n})   {schedule_s * 1000:8.0f} ms")
    print(f"  cancel_list (one unit of work)               {cancel_s * 1000:8.0f} ms")
    print(f"  cancel_service_price x {n} (one request each) {one_by_one_s * 1000:8.0f} ms")
    print(f"  ratio cancel_list / scheduling               {cancel_s / schedule_s:8.2f}")
    ok = cancel_s < BUDGET_S / 4
    print(f"  cancel_list under {BUDGET_S / 4:.0f} s (a quarter of {BUDGET_S:.0f} s): {ok}")
    rt.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
