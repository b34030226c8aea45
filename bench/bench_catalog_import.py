"""Catalog import of a whole price list: preview and apply of N tests, every price changed.

    .venv/bin/python bench/bench_catalog_import.py [--tests 1000] [--data-dir DIR]

N tests are written into a fresh hub database (embedded PostgreSQL unless DATABASE_URL is set),
the catalog is exported as CSV, every price is raised by S/ 1.00 in the file, and the file is
previewed (parse + diff, nothing written) and applied (one unit of work, every change through
``central.catalog.service.update_service``: price history, audit and change feed). The baseline,
measured in the same run on the same rows, is the same N price changes made by N direct calls
of ``update_service`` in one unit of work (what the page does one test at a time, without the
file). Budget: apply well under the 60 s a reverse proxy usually waits for an answer.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_bench import open_hub  # noqa: E402
from sqlmodel import select  # noqa: E402

from central.catalog import service, transfer, transfer_apply  # noqa: E402
from central.catalog.models import CatalogCategory, CatalogPrice, CatalogService  # noqa: E402
from central.catalog.schemas import ServiceUpdate  # noqa: E402
from central.db import unit_of_work  # noqa: E402
from domain.clock import SystemClock, business_date  # noqa: E402

BUDGET_S = 60.0


def fill(rt: object, n: int) -> None:
    clock = SystemClock()
    now = clock.now()
    with unit_of_work(rt.engine) as s:  # type: ignore[attr-defined]
        if s.exec(select(CatalogService).limit(1)).first() is not None:
            return
        cat = CatalogCategory(code="BEN", name="Banco de pruebas", updated_at=now)
        s.add(cat)
        for i in range(n):
            svc = CatalogService(code=f"BEN-{i:04d}", name=f"Examen {i}", category_id=cat.id,
                                 sample_type="Suero", tube="Rojo", price_cents=1000 + i,
                                 turnaround_hours=24, updated_at=now)  # fmt: skip
            s.add(svc)
            s.add(CatalogPrice(service_id=svc.id, price_cents=svc.price_cents,
                               effective_from=business_date(now), status="applied",
                               catalog_version=1, created_at=now, applied_at=now))  # fmt: skip


def raised(exported: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    price = rows[0].index("Precio (S/)")
    for r in rows[1:]:
        r[price] = f"{Decimal(r[price]) + 1:.2f}"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=1000)
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    rt, _ = open_hub(args.data_dir)
    clock = SystemClock()
    fill(rt, args.tests)

    with unit_of_work(rt.engine) as s:
        t = time.perf_counter()
        exported = transfer.export_catalog(session=s, clock=clock, fmt="csv").content
        export_s = time.perf_counter() - t
        xlsx = transfer.export_catalog(session=s, clock=clock, fmt="xlsx").content
    content = raised(exported)
    t = time.perf_counter()
    with unit_of_work(rt.engine) as s:
        same = transfer_apply.preview(session=s, clock=clock, content=xlsx)
    xlsx_s = time.perf_counter() - t
    assert same.changes == [] and same.errors == [], same.counts()

    t = time.perf_counter()
    with unit_of_work(rt.engine) as s:
        plan = transfer_apply.preview(session=s, clock=clock, content=content)
    preview_s = time.perf_counter() - t
    assert plan.errors == [] and plan.counts()["price"] == args.tests, plan.counts()

    t = time.perf_counter()
    with unit_of_work(rt.engine) as s:
        result = transfer_apply.apply_import(
            session=s, clock=clock, actor=None, content=content, reason="Tarifario (bench)"
        )
    apply_s = time.perf_counter() - t
    assert result.applied

    t = time.perf_counter()
    with unit_of_work(rt.engine) as s:
        rows = s.exec(select(CatalogService)).all()
        for row in rows:
            service.update_service(
                session=s, clock=clock, actor=None, service_id=row.id,
                data=ServiceUpdate(price=Decimal(row.price_cents + 100) / 100,
                                   price_reason="Baseline (bench)"),
            )  # fmt: skip
    baseline_s = time.perf_counter() - t

    n = args.tests
    print(f"catalog import, {n} tests, every price changed ({len(content) / 1024:.0f} KiB csv)")
    print(f"  export csv                         {export_s * 1000:8.0f} ms")
    print(f"  preview of the exported xlsx       {xlsx_s * 1000:8.0f} ms  (no changes)")
    print(f"  preview (parse + diff)             {preview_s * 1000:8.0f} ms")
    print(f"  apply (all or nothing)             {apply_s * 1000:8.0f} ms")
    print(f"  baseline: {n} update_service calls  {baseline_s * 1000:8.0f} ms")
    print(f"  ratio apply / baseline             {apply_s / baseline_s:8.2f}")
    print(f"  ratio (preview + apply) / baseline {(preview_s + apply_s) / baseline_s:8.2f}")
    ok = preview_s + apply_s < BUDGET_S / 4
    print(f"  preview + apply under {BUDGET_S / 4:.0f} s (a quarter of {BUDGET_S:.0f} s): {ok}")
    rt.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
