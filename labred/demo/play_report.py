"""The end of the headless demo: reconcile every sede-day on the hub, print the summary table
and the rounds, and check the invariants (:mod:`labred.demo.play`)."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

from domain.clock import LIMA, SystemClock, business_date
from domain.ids import sede_id_for
from labred.demo.checks import edge_summary, hub_conninfo, lab_checks, run_checks
from labred.demo.convenio_credit import CreditRound, credit_checks, hub_credit_note, print_credit
from labred.demo.convenios import ConvenioRound, convenio_checks, print_round
from labred.demo.housekeeping import HousekeepingRound, housekeeping_checks, print_housekeeping
from labred.demo.late_patient import LateRound, hub_order_days, late_checks, print_late
from labred.demo.play_waiting import LAST_STATUS
from labred.demo.recollection import RecollectionRound, print_recollection, recollection_checks
from labred.demo.sync_lag import digest_checks, lag_checks, print_lags, sync_lags
from labred.demo.topology import DEMO_PASSWORD, sede_code
from sandbox.daygen import Ledger, login

if TYPE_CHECKING:
    from labred.demo.orchestrator import Demo


def reconcile(demo: Demo) -> list[dict[str, Any]]:
    today: date = business_date(SystemClock().now(), LIMA)
    out: list[dict[str, Any]] = []
    hub = httpx.Client(base_url=demo.t.hub_url(), timeout=60)
    with contextlib.closing(hub):
        login(hub, "admin", DEMO_PASSWORD)
        for day in range(demo.o.days):
            d = today - timedelta(days=demo.o.days - 1 - day)
            for k in range(1, demo.o.sedes + 1):
                r = hub.post(
                    "/api/reconciliation/execute",
                    json={"sede_id": sede_id_for(sede_code(k)), "date": d.isoformat()},
                )
                if r.status_code != 200:
                    raise RuntimeError(
                        f"reconciliation {sede_code(k)} {d}: {r.status_code} {r.text[:300]}"
                    )
                out.append({"sede": sede_code(k), "date": d.isoformat(), **r.json()})
    return out


def print_report(
    demo: Demo,
    ledgers: dict[tuple[int, int], Ledger],
    closures: list[dict[str, Any]],
    shared_doc: str | None,
    settled: bool,
    labs: dict[str, dict[str, Any]],
    convenios: ConvenioRound | None,
    credit: CreditRound,
    late: LateRound,
    retoma: RecollectionRound,
    housekeeping: HousekeepingRound,
) -> int:
    print("")
    print(
        f"{'sede':<5} {'orders':>6} {'sold (S/)':>12} {'accepted':>8} {'other docs':<24} "
        f"{'to lab':>6} {'at lab':>6} {'results':>7} {'ready':>5} {'discrepancies':>13}"
    )
    edges = {sede_code(k): demo.t.edge_dir(k) / "edge.sqlite3" for k in range(1, demo.o.sedes + 1)}
    for k in range(1, demo.o.sedes + 1):
        code = sede_code(k)
        s = edge_summary(edges[code])
        docs = dict(s["documents"])
        accepted = docs.pop("aceptado", 0) + docs.pop("observado", 0)
        other = ", ".join(f"{state} {n}" for state, n in sorted(docs.items())) or "-"
        found = sum(c.get("discrepancy_count", 0) for c in closures if c["sede"] == code)
        sold = Decimal(s["sold_cents"]) / 100
        at_lab = len(labs.get(code, {}).get("applied_new", {}))
        print(
            f"{code:<5} {s['orders']:>6} {sold:>12,.2f} {accepted:>8} {other:<24} "
            f"{s['orders_sent_to_lab']:>6} {at_lab:>6} {s['orders_with_results']:>7} "
            f"{s['orders_ready']:>5} {found:>13}"
        )
    print("")
    for c in closures:
        print(
            f"closure {c['sede']} {c['date']}: {c['status']} "
            f"({c.get('discrepancy_count', 0)} discrepancies)"
        )
    if convenios is not None:
        print_round(convenios)
    print_credit(credit)
    print_late(late)
    print_recollection(retoma)
    print_housekeeping(housekeeping)
    try:
        lags = sync_lags(demo)
        print_lags(lags)
    except (httpx.HTTPError, OSError) as exc:
        print(f"sync lag: could not read the hub's sync health: {exc}")
        lags = []
    report = run_checks(pg_dir=demo.t.hub_dir / "pg", edges=edges, shared_doc=shared_doc)
    lab_checks(report, pg_dir=demo.t.hub_dir / "pg", edges=edges, labs=labs)
    if convenios is None:
        report.check(False, "the convenio round reached the hub")
    elif not convenios.skipped:
        convenio_checks(report, convenios, edges)
    if not credit.skipped and not credit.error:
        at_hub = hub_credit_note(hub_conninfo(demo.t.hub_dir / "pg"), credit.order_id)
    else:
        at_hub = []
    credit_checks(report, credit, edges, at_hub, closures)
    late_hub = hub_order_days(hub_conninfo(demo.t.hub_dir / "pg"), late.order_id)
    credited = None if credit.skipped else credit.sede
    late_checks(report, late, edges=edges, at_hub=late_hub, closures=closures, credit_sede=credited)
    housekeeping_checks(report, housekeeping, late_at_hub=bool(late.order_id and late_hub))
    lag_checks(report, lags, demo.o.sedes)
    digest_checks(report, LAST_STATUS, demo.o.sedes)
    recollection_checks(report, retoma, edges=edges, conninfo=hub_conninfo(demo.t.hub_dir / "pg"))
    report.check(settled, "sync, SUNAT and laboratory queues drained")
    ledger_total = sum((lg.sold for lg in ledgers.values()), Decimal("0"))
    edge_total = sum(Decimal(edge_summary(p)["sold_cents"]) / 100 for p in edges.values())
    report.check(
        ledger_total == edge_total,
        f"amount sold equals what the counter was answered (S/ {ledger_total:,.2f})",
    )
    print("")
    print(f"invariants: {len(report.passed)} hold, {len(report.failures)} broken")
    for failure in report.failures:
        print(f"  BROKEN: {failure}")
    return 0 if not report.failures else 1
