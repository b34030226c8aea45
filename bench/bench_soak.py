"""Soak: does a sede's node stay healthy after hours of selling?

    .venv/bin/python bench/bench_soak.py [--minutes 4] [--rate 10] [--idle-minutes M]
        [--trace] [--keep DIR] [--save FILE.json]
    .venv/bin/python bench/bench_soak.py --replay FILE.json    # the report again, no run

Starts the real processes of the demo (``labred.demo``): the SUNAT simulator, the hub (with its
embedded PostgreSQL) and its worker, one sede's edge API (``labred edge serve``), its worker and
its laboratory stand-in (MLLP), the edge enrolled with the hub so pushes and pulls run. The
clocks are set to 09:00 in Lima so the business date cannot change during the run; so a run
may not offer more sales than one day's tube codes allow (``SALES_A_DAY``, ~6,300).

Phases, all in this run: a short pre-warm (load for 15 s, then 15 s to settle); an IDLE window
of ``--idle-minutes`` (default ``minutes - 1``) without load (the baseline); then LOAD for
``minutes``: sales at ``--rate`` per second over HTTP (mixed payments: cash with change, card,
Yape/Plin, split; a factura now and then; new and returning patients), and every second one of
the other counter actions: patient search, order list, the ticket PDF of a sale's boleta, the
labels of a sale, a cash movement, the tubes of a sale taken (the laboratory stand-in then sends
its results back over MLLP). The first minute of LOAD is warm-up; the rest is the measured
window (bench/soak_load.py).

Every 5 s, per process (the process and its children summed): RSS and PSS
(``/proc/<pid>/smaps_rollup``), open fds, threads; for the judged processes also their fds by
kind (TCP by state and peer, the SQLite files, pipes...), threads by name and memory by smaps
field (bench/soak_probe.py); the edge's ``edge.sqlite3`` and ``-wal`` sizes and its data dir
size (bench/soak_sampling.py). Printed (bench/soak_report.py): a table over time; per process
the least-squares slopes over the measured window, its first half and its second half in MB /
fds / threads per 1,000 sales, beside the slope over the IDLE window turned into the same unit
(per the time 1,000 sales took under load), so the noise is visible; the fds, threads and
memory of each judged process at the start, middle and end of the window; the bytes of
database + XML per sale and the projection for a year at 300 sales a day.

Exit 1 (clear growth) only when, for one of the long-running processes (edge API, edge worker,
hub API, hub worker; the simulators are stand-ins that keep what they saw, and PostgreSQL fills
its shared buffers as pages are touched: those are reported, not judged):

- RSS, judged on the SECOND HALF of the measured window: its slope grows more than 0.5 MB per
  1,000 sales beyond the idle slope AND by more than 1.5 MB over that half AND it is more than
  half the first half's slope. A process that fills caches, pools and allocator arenas up to
  their bounds rises fast at first and then slows down; a leak keeps its pace (or speeds up, if
  what leaks grows with the data). The figures behind the rule, MB per 1,000 sales, first half
  → second half of two 15-minute runs (load average 3-9 on 2 cores): at 15 sales/s (5,766
  sales measured) edge worker 8.67 → 0.99 and hub API 3.69 → 0.22, at 6.5/s (5,449 sales)
  8.79 → 2.66 and 3.63 → 1.52 — levelling; the edge API went 11.0 → 25.6 and 10.8 → 30.9 —
  growing with the data (the cash egreso loaded every payment of the session, and the cash
  figures re-reflected the invoice table into a new compiled-cache entry per call: both
  fixed); the hub worker 2.07 → 2.01 and 2.48 → 1.56 (steady: reported as growth). On the
  whole window, as the former rule judged, all four "grew more than 0.5 MB per 1,000 sales":
  a run of minutes cannot tell levelling from leaking that way. What the rule misses: a small
  leak under a large filling cache, whose second half is still under half the first's slope;
  a longer run shows it.
- open fds grow more than 0.5 per 1,000 sales AND their minimum over the last third of the
  window is 2 or more above their minimum over the middle third (a pool filling up to its
  bound in the first third is not growth; a leak keeps growing); or
- threads: the same with 1 thread (minimums: a job's thread that comes and goes is not counted).

Also exit 1 when fewer than 90 % of the offered sales were answered 201 (the load was not
driven, so the figures say nothing: a sale that would wait more than 2 s for a client thread is
dropped, so a slow node fails here instead of the phase running on through its backlog), when
either half of the window has under a quarter of its sales (stalled), or when a process died.

What was found sound (15-minute runs): the edge API's fds level off at 26-31 (its SQLite pool
at 2-3 connections, a db and a -wal fd each, one -shm; the soak's 8 keep-alive client
sockets; the "+2.6 fds per 1,000 sales" of a 4-minute run was those filling up), its threads
stay within 8-14 (anyio's pool threads come and go); the edge worker, hub and hub worker keep
a constant set of fds and threads.

``--trace`` starts every Python child with ``tracemalloc`` (bench/soak_trace.py); the bench
sends SIGUSR1 at the end of warm-up and at the end of the load, and prints each process's top
growth between the two snapshots (by line, with the traceback of the largest). Slower (a
third of the sales rate): figures under ``--trace`` are for finding the cause, not a verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.barcode import SAMPLE_SEQ_MAX  # noqa: E402
from domain.clock import LIMA  # noqa: E402
from labred.demo.orchestrator import Demo, DemoOptions  # noqa: E402
from labred.demo.play_waiting import port_open  # noqa: E402
from labred.demo.topology import DEMO_PASSWORD  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from soak_load import ACTIONS, Clerk, LoadStats, drive  # noqa: E402
from soak_record import Record, load, save  # noqa: E402
from soak_report import WARM_UP, XML, report  # noqa: E402
from soak_sampling import SAMPLE_EVERY, Sampler, table_bytes, tree_bytes  # noqa: E402
from soak_trace import dump_traces, enable, print_traces  # noqa: E402

PRE_WARM = 15.0
#: Sales one bench day can take: a sede has SAMPLE_SEQ_MAX (9,999) tube codes a day and this mix
#: takes ~1.43 tubes a sale (the first 15-minute run at 15/s ran out after 7,006 sales; every
#: sale after that was refused, 422 ``sample_seq_exhausted``). The clocks stay on one day.
SALES_A_DAY = int(SAMPLE_SEQ_MAX / 1.43 * 0.9)


# -- the node ------------------------------------------------------------------------------
def nine_in_lima(now: dt.datetime) -> int:
    """Offset in seconds to the latest 09:00 in Lima at or before ``now``."""
    local = now.astimezone(LIMA)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if nine > local:
        nine -= dt.timedelta(days=1)
    return int((nine - local).total_seconds())


def until(what: str, probe: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


def start_node(demo: Demo) -> dict[str, int]:
    """Set up and start the demo's processes (1 sede); {process name: pid}."""
    demo.setup()
    for name in ("hub", "S01"):
        demo.t.clock_file(name).write_text(str(nine_in_lima(dt.datetime.now(dt.UTC))))
    demo.start()

    def can_login() -> bool:
        r = httpx.post(
            demo.t.edge_url(1) + "/api/auth/login",
            json={"username": "recepcion.s01", "password": DEMO_PASSWORD},
            timeout=10,
        )
        return r.status_code == 200

    until("the sede's users from the hub", can_login, 120)
    until("the results listener", lambda: port_open(demo.t.listener_port(1)), 120)
    names = {"hub": "hub", "hub worker": "hub worker", "sunat": "sunat"}
    names |= {"lab S01": "lab", "edge S01": "edge", "worker S01": "edge worker"}
    pids = {names[c.name]: c.proc.pid for c in demo.children if c.proc and c.name in names}
    pg = demo.t.hub_dir / "pg" / "postmaster.pid"
    if pg.exists():
        pids["postgres"] = int(pg.read_text().splitlines()[0])
    return pids


def ports_of(demo: Demo) -> dict[int, str]:
    """The node's listening ports by name (the fd breakdown names peers with them)."""
    t = demo.t
    ports = {t.hub_port: "hub", t.sunat_port: "sunat", t.edge_port(1): "edge"}
    ports |= {t.link_port(1): "link→hub", t.lab_port(1): "lab", t.lab_mllp_port(1): "lab mllp"}
    ports[t.listener_port(1)] = "results listener"
    pg = t.hub_dir / "pg" / "postmaster.pid"
    if pg.exists():
        lines = pg.read_text().splitlines()
        if len(lines) > 3 and lines[3].strip().isdigit():
            ports[int(lines[3])] = "postgres"
    return ports


def run(args: argparse.Namespace) -> Record:
    """Start the node, drive it through its phases, and return what was sampled."""
    from tests.procs import free_port_block

    tmp = tempfile.TemporaryDirectory(prefix="bench-soak-")
    data = args.keep or Path(tmp.name) / "demo"
    trace_out = enable(Path(tmp.name)) if args.trace else None
    os.environ.setdefault("LABRED_EDGE_LOG_LEVEL", "WARNING")
    demo = Demo(DemoOptions(sedes=1, port_base=free_port_block(), data_dir=data, headless=True))
    try:
        started = time.monotonic()
        pids = start_node(demo)
        print(f"processes ready in {time.monotonic() - started:.0f} s: {pids}")
        stats = LoadStats()
        clerk = Clerk(demo.t.edge_url(1), random.Random(11), stats)
        sampler = Sampler(pids, demo.t.edge_dir(1), stats, ports_of(demo))
        sampler.phase = "prewarm"
        sampler.start()
        drive(clerk, args.rate, PRE_WARM)
        for name in range(len(ACTIONS)):
            clerk.act(name)
        time.sleep(PRE_WARM)
        measured = (args.minutes * 60) - WARM_UP
        sampler.phase = "idle"
        idle = measured if args.idle_minutes is None else args.idle_minutes * 60
        time.sleep(idle + SAMPLE_EVERY / 2)
        sampler.phase = "load"
        stats.offered = stats.sales = 0
        db_file = demo.t.edge_dir(1) / "edge.sqlite3"
        tables_before = table_bytes(db_file) | {XML: tree_bytes(db_file.parent / "documents")}
        drive(clerk, args.rate, WARM_UP)
        if trace_out:
            dump_traces(pids)
        drive(clerk, args.rate, measured + SAMPLE_EVERY / 2)
        signalled = dump_traces(pids) if trace_out else 0
        sampler.stop.set()
        sampler.join()
        xml_after = tree_bytes(db_file.parent / "documents")
        rec = Record(
            samples=sampler.samples,
            pids=pids,
            sales=stats.sales,
            offered=stats.offered,
            actions=dict(stats.actions),
            errors=dict(stats.errors),
            first_errors=list(stats.first_errors),
            tables=(tables_before, table_bytes(db_file) | {XML: xml_after}),
            load_average=os.getloadavg(),
            dead=[c.name for c in demo.children if not c.alive()],
        )
        if trace_out:
            print_traces(pids, trace_out, signalled)
        return rec
    finally:
        demo.stop()
        tmp.cleanup()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=4.0, help="load duration (first is warm-up)")
    ap.add_argument("--idle-minutes", type=float, help="idle baseline (default: minutes - 1)")
    ap.add_argument("--rate", type=float, default=10.0, help="sales per second")
    ap.add_argument("--trace", action="store_true", help="tracemalloc diffs via SIGUSR1")
    ap.add_argument("--keep", type=Path, help="keep the data here (default: a temp dir)")
    ap.add_argument("--save", type=Path, help="write the samples here (JSON) for --replay")
    ap.add_argument("--replay", type=Path, help="only report on samples saved by --save")
    args = ap.parse_args()
    if args.replay:
        return 0 if report(load(args.replay)) else 1
    if args.minutes <= 1.5:
        raise SystemExit("--minutes must be more than 1.5 (the first minute is warm-up)")
    if (sales := args.rate * (args.minutes * 60 + PRE_WARM)) > SALES_A_DAY:
        raise SystemExit(
            f"--rate {args.rate} for {args.minutes} min is {sales:.0f} sales: more than the "
            f"{SALES_A_DAY} one day's tube codes allow (lower --rate or --minutes)"
        )
    print(f"soak: minutes={args.minutes} rate={args.rate}/s load average {os.getloadavg()}")
    rec = run(args)
    if args.save:
        save(rec, args.save)
    return 0 if report(rec) else 1


if __name__ == "__main__":
    raise SystemExit(main())
