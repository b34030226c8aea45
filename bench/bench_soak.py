"""Soak: does a sede's node stay healthy after hours of selling?

    .venv/bin/python bench/bench_soak.py [--minutes 4] [--rate 10] [--trace] [--keep DIR]

Starts the real processes of the demo (``labred.demo``): the SUNAT simulator, the hub (with its
embedded PostgreSQL) and its worker, one sede's edge API (``labred edge serve``), its worker and
its laboratory stand-in (MLLP), the edge enrolled with the hub so pushes and pulls run. The
clocks are set to 09:00 in Lima so the business date cannot change during the run.

Phases, all in this run: a short pre-warm (load for 15 s, then 15 s to settle); an IDLE window
of ``(minutes - 1)`` minutes without load (the baseline); then LOAD for ``minutes``: sales at
``--rate`` per second over HTTP (mixed payments: cash with change, card, Yape/Plin, split; a
factura now and then; new and returning patients), and every second one of the other counter
actions: patient search, order list, the ticket PDF of a sale's boleta, the labels of a sale, a
cash movement, the tubes of a sale taken (the laboratory stand-in then sends its results back
over MLLP). The first minute of LOAD is warm-up; the rest is the measured window.

Every 5 s, per process (the process and its children summed): RSS and PSS
(``/proc/<pid>/smaps_rollup``), open fds, threads; and the edge's ``edge.sqlite3`` and
``-wal`` sizes and its data dir size. Printed: a table over time; per process the least-squares
slope over the measured window in MB / fds / threads per 1,000 sales, beside the slope over the
IDLE window turned into the same unit (per the time 1,000 sales took under load), so the noise
is visible; the bytes of database + XML per sale and the projection for a year at 300 sales a
day.

Exit 1 (clear growth) only when, for one of the long-running processes (edge API, edge worker,
hub API, hub worker; the simulators are stand-ins that keep what they saw, and PostgreSQL fills
its shared buffers as pages are touched: those are reported, not judged):

- RSS grows more than 0.5 MB per 1,000 sales beyond its idle slope AND by more than 1.5 MB over
  the measured window (the fitted line); or
- open fds grow more than 0.5 per 1,000 sales AND their minimum over the last third of the
  window is 2 or more above their minimum over the middle third (a pool filling up to its
  bound in the first third is not growth; a leak keeps growing); or
- threads: the same with 1 thread (minimums: a job's thread that comes and goes is not counted).

Also exit 1 when fewer than 90 % of the offered sales were answered 201 (the load was not
driven, so the figures say nothing).

``--trace`` starts every Python child with ``tracemalloc`` (a ``sitecustomize`` put on
``PYTHONPATH`` for the children only; the code of labred is unchanged); the bench sends SIGUSR1
at the end of warm-up and at the end of the load, and prints each process's top growth between
the two snapshots (by line, with the traceback of the largest). Slower: figures under
``--trace`` are for finding the cause, not for the verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.clock import LIMA  # noqa: E402
from labred.demo.orchestrator import Demo, DemoOptions  # noqa: E402
from labred.demo.play_waiting import port_open  # noqa: E402
from labred.demo.topology import DEMO_PASSWORD  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from bench_sales import proc_stat, process_tree  # noqa: E402
from soak_load import ACTIONS, Clerk, LoadStats, drive  # noqa: E402

RSS_MB_PER_1K = 0.5
RSS_MIN_GROWTH_MB = 1.5
FDS_PER_1K = 0.5
FDS_MIN_STEP = 2
THREADS_MIN_STEP = 1
SAMPLE_EVERY = 5.0
WARM_UP = 60.0
PRE_WARM = 15.0
# Pruned by edge housekeeping (acknowledged outbox rows after retention_backup_days + 2 days).
PRUNED = frozenset({"sync_outbox"})
PRUNED_AFTER_DAYS = 32
XML = "<xml files>"
JUDGED = ("edge", "edge worker", "hub", "hub worker")

SITECUSTOMIZE = textwrap.dedent(
    '''
    """Bench soak only: tracemalloc, a snapshot diff written on SIGUSR1."""
    import os
    import signal
    import tracemalloc

    _OUT = os.environ.get("LABRED_SOAK_TRACEMALLOC")
    if _OUT:
        tracemalloc.start(8)
        _state = {"prev": None, "n": 0}

        def _dump(signum, frame):
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            prev = _state["prev"]
            _state["prev"], _state["n"] = snap, _state["n"] + 1
            if prev is None:
                return
            path = os.path.join(_OUT, f"{os.getpid()}-{_state['n']}.txt")
            with open(path + ".part", "w") as fh:
                for stat in snap.compare_to(prev, "lineno")[:15]:
                    fh.write(f"{stat}\\n")
                fh.write("-- largest by traceback --\\n")
                for stat in snap.compare_to(prev, "traceback")[:3]:
                    fh.write(f"{stat.size_diff / 1024:.1f} KiB, {stat.count_diff} blocks\\n")
                    for line in stat.traceback.format()[-16:]:
                        fh.write(f"  {line}\\n")
            os.replace(path + ".part", path)

        signal.signal(signal.SIGUSR1, _dump)
    '''
)


# -- /proc (bench_sales reads the same files) ---------------------------------------------


@dataclass
class Figures:
    rss: float = 0.0  # MB
    pss: float = 0.0  # MB
    fds: int = 0
    threads: int = 0


def measure(pid: int) -> Figures:
    out = Figures()
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                name, _, value = line.partition(":")
                if name == "Rss":
                    out.rss += int(value.split()[0]) / 1024
                elif name == "Pss":
                    out.pss += int(value.split()[0]) / 1024
            out.fds += len(os.listdir(f"/proc/{member}/fd"))
            fields = proc_stat(member)
            out.threads += int(fields[17]) if fields else 0
        except OSError:
            continue
    return out


def tree_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                pass
    return total


def table_bytes(db: Path) -> dict[str, int]:
    """Bytes of each table of the SQLite file (its indexes included), WAL content included."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
        sizes: Counter[str] = Counter()
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            sizes[owner.get(name, name)] += int(size)
        return dict(sizes)
    finally:
        conn.close()


def file_bytes(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


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


# -- sampling ------------------------------------------------------------------------------
@dataclass
class Sample:
    t: float
    phase: str
    sales: int
    procs: dict[str, Figures]
    db: int
    wal: int
    data: int
    xml: int


class Sampler(threading.Thread):
    def __init__(self, pids: dict[str, int], edge_dir: Path, stats: LoadStats) -> None:
        super().__init__(daemon=True)
        self.pids, self.edge_dir, self.stats = pids, edge_dir, stats
        self.samples: list[Sample] = []
        self.tables: tuple[dict[str, int], dict[str, int]] | None = None
        self.phase = "start"
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def take(self) -> Sample:
        procs = {name: measure(pid) for name, pid in self.pids.items()}
        s = Sample(
            t=time.monotonic() - self.t0,
            phase=self.phase,
            sales=self.stats.sales,
            procs=procs,
            db=file_bytes(self.edge_dir / "edge.sqlite3"),
            wal=file_bytes(self.edge_dir / "edge.sqlite3-wal"),
            data=tree_bytes(self.edge_dir),
            xml=tree_bytes(self.edge_dir / "documents"),
        )
        self.samples.append(s)
        return s

    def run(self) -> None:
        order = list(self.pids)
        print("t(s)  phase   sales  " + "  ".join(f"{n[:11]:>16}" for n in order))
        print(f"{'':22}" + "  ".join(f"{'RSS/fd/thr':>16}" for _ in order) + "  db/wal/data MB")
        while not self.stop.is_set():
            s = self.take()
            cells = "  ".join(
                f"{s.procs[n].rss:8.1f}/{s.procs[n].fds:3d}/{s.procs[n].threads:2d}" for n in order
            )
            mb = 1024 * 1024
            print(
                f"{s.t:5.0f} {s.phase:6} {s.sales:6d}  {cells}  "
                f"{s.db / mb:.1f}/{s.wal / mb:.1f}/{s.data / mb:.1f}",
                flush=True,
            )
            self.stop.wait(SAMPLE_EVERY)


def slope(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 3 or statistics.pvariance(xs) == 0:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def window(samples: list[Sample], phase: str, after: float = 0.0) -> list[Sample]:
    chosen = [s for s in samples if s.phase == phase]
    return [s for s in chosen if s.t >= chosen[0].t + after] if chosen else []


# -- the report ------------------------------------------------------------------------------
def report(sampler: Sampler, stats: LoadStats, minutes: float) -> bool:
    idle = window(sampler.samples, "idle")
    load = window(sampler.samples, "load", after=WARM_UP)
    if len(load) < 3 or len(idle) < 3:
        print("too few samples for slopes")
        return False
    seconds = load[-1].t - load[0].t
    sold = load[-1].sales - load[0].sales
    rate = sold / seconds if seconds else 0.0
    per_1k_time = 1000 / rate if rate else 0.0  # seconds 1,000 sales took under load
    print(
        f"\nmeasured window: {seconds:.0f} s, {sold} sales ({rate:.2f}/s); idle window: "
        f"{idle[-1].t - idle[0].t:.0f} s; 1,000 sales = {per_1k_time:.0f} s of load"
    )
    print(
        f"{'process':12} {'RSS MB/1k':>10} {'idle':>7} {'PSS MB/1k':>10} {'idle':>7} "
        f"{'fds/1k':>7} {'idle':>6} {'thr/1k':>7} {'idle':>6}  RSS start→end  verdict"
    )
    passed = True
    for name in sampler.pids:
        lx = [float(s.sales) for s in load]
        ix = [s.t for s in idle]

        def per_1k(attr: str, name: str = name, lx: list[float] = lx) -> float:
            return 1000 * slope(lx, [float(getattr(s.procs[name], attr)) for s in load])

        def idle_1k(attr: str, name: str = name, ix: list[float] = ix) -> float:
            return per_1k_time * slope(ix, [float(getattr(s.procs[name], attr)) for s in idle])

        rss, irss = per_1k("rss"), idle_1k("rss")
        pss, ipss = per_1k("pss"), idle_1k("pss")
        fds, ifds = per_1k("fds"), idle_1k("fds")
        thr, ithr = per_1k("threads"), idle_1k("threads")
        third = max(1, len(load) // 3)

        def step(attr: str, name: str = name, third: int = third) -> int:
            first = min(getattr(s.procs[name], attr) for s in load[third:-third])
            last = min(getattr(s.procs[name], attr) for s in load[-third:])
            return int(last - first)

        growth = (rss - max(irss, 0.0)) * sold / 1000
        bad = []
        if rss - max(irss, 0.0) > RSS_MB_PER_1K and growth > RSS_MIN_GROWTH_MB:
            bad.append("RSS")
        if fds > FDS_PER_1K and step("fds") >= FDS_MIN_STEP:
            bad.append("fds")
        if thr > 0 and step("threads") >= THREADS_MIN_STEP:
            bad.append("threads")
        judged = name in JUDGED
        verdict = ("GROWS: " + ",".join(bad)) if bad else "ok"
        if not judged:
            verdict += " (reported only)"
        passed = passed and not (bad and judged)
        r0, r1 = load[0].procs[name].rss, load[-1].procs[name].rss
        print(
            f"{name:12} {rss:10.3f} {irss:7.3f} {pss:10.3f} {ipss:7.3f} {fds:7.2f} {ifds:6.2f} "
            f"{thr:7.2f} {ithr:6.2f}  {r0:6.1f}→{r1:6.1f}  {verdict}"
        )
    everything = window(sampler.samples, "load")
    first, last = everything[0], everything[-1]
    sales = stats.sales
    if sales and sampler.tables:
        before, after = sampler.tables
        grown = {t: after.get(t, 0) - before.get(t, 0) for t in after if t != XML}
        xml = after[XML] - before[XML]
        db = sum(grown.values())
        pruned = sum(v for t, v in grown.items() if t in PRUNED)
        print(
            f"\nstorage over the whole load ({sales} sales): database (logical, dbstat) "
            f"{db / sales / 1024:.2f} KiB + XML files {xml / sales / 1024:.2f} KiB per sale; "
            f"data dir {(last.data - first.data) / sales / 1024:.2f} KiB per sale "
            f"(WAL file now {last.wal / 1024**2:.1f} MiB)"
        )
        top = sorted(grown.items(), key=lambda kv: -kv[1])[:8]
        print("  per sale: " + ", ".join(f"{t} {v / sales / 1024:.2f} KiB" for t, v in top))
        kept = (db - pruned + xml) / sales
        year = kept * 300 * 365 + pruned / sales * 300 * PRUNED_AFTER_DAYS
        print(
            f"a year at 300 sales a day: {year / 1024**3:.2f} GiB ({year / 1024**2:.0f} MiB): "
            f"{kept / 1024:.2f} KiB per sale kept for good, plus {', '.join(sorted(PRUNED))} "
            f"({pruned / sales / 1024:.2f} KiB per sale) kept {PRUNED_AFTER_DAYS} days"
        )
    print(
        f"\nsales answered 201: {stats.sales} of {stats.offered} offered; counter actions: "
        f"{dict(stats.actions)}"
    )
    if stats.errors:
        print(f"errors: {dict(stats.errors)}")
        for line in stats.first_errors:
            print(f"  {line}")
    if stats.offered and stats.sales < 0.9 * stats.offered:
        print("FAIL: the load was not driven (fewer than 90 % of the sales answered)")
        passed = False
    print(f"load average now: {os.getloadavg()}")
    print("PASS" if passed else "FAIL")
    return passed


def dump_traces(pids: dict[str, int]) -> int:
    """SIGUSR1 to every Python process of the node; how many were signalled."""
    signalled = 0
    for name, pid in pids.items():
        if name == "postgres":
            continue
        for member in process_tree(pid):
            try:
                os.kill(member, signal.SIGUSR1)
                signalled += 1
            except ProcessLookupError:
                pass
    return signalled


def print_traces(pids: dict[str, int], out: Path, expected: int) -> None:
    """Each process's diff (written by its SIGUSR1 handler; a big heap takes a while)."""
    deadline = time.monotonic() + 300
    while len(list(out.glob("*.txt"))) < expected and time.monotonic() < deadline:
        time.sleep(2)
    time.sleep(2)  # the last file's writer finishing
    owner = {m: name for name, pid in pids.items() for m in process_tree(pid)}
    for path in sorted(out.glob("*.txt")):
        pid = int(path.name.split("-")[0])
        print(f"\n== tracemalloc growth, {owner.get(pid, pid)} (pid {pid}) ==")
        print(path.read_text()[:6000])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=4.0, help="load duration (first is warm-up)")
    ap.add_argument("--rate", type=float, default=10.0, help="sales per second")
    ap.add_argument("--trace", action="store_true", help="tracemalloc diffs via SIGUSR1")
    ap.add_argument("--keep", type=Path, help="keep the data here (default: a temp dir)")
    args = ap.parse_args()
    if args.minutes <= 1.5:
        raise SystemExit("--minutes must be more than 1.5 (the first minute is warm-up)")
    print(f"soak: minutes={args.minutes} rate={args.rate}/s load average {os.getloadavg()}")
    from tests.procs import free_port_block

    tmp = tempfile.TemporaryDirectory(prefix="bench-soak-")
    data = args.keep or Path(tmp.name) / "demo"
    trace_out = Path(tmp.name) / "trace"
    if args.trace:
        trace_out.mkdir()
        site = Path(tmp.name) / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        os.environ["LABRED_SOAK_TRACEMALLOC"] = str(trace_out)
    os.environ.setdefault("LABRED_EDGE_LOG_LEVEL", "WARNING")
    demo = Demo(DemoOptions(sedes=1, port_base=free_port_block(), data_dir=data, headless=True))
    try:
        started = time.monotonic()
        pids = start_node(demo)
        print(f"processes ready in {time.monotonic() - started:.0f} s: {pids}")
        stats = LoadStats()
        clerk = Clerk(demo.t.edge_url(1), random.Random(11), stats)
        sampler = Sampler(pids, demo.t.edge_dir(1), stats)
        sampler.phase = "prewarm"
        sampler.start()
        drive(clerk, args.rate, PRE_WARM)
        for name in range(len(ACTIONS)):
            clerk.act(name)
        time.sleep(PRE_WARM)
        measured = (args.minutes * 60) - WARM_UP
        sampler.phase = "idle"
        time.sleep(measured + SAMPLE_EVERY / 2)
        sampler.phase = "load"
        stats.offered = stats.sales = 0
        db_file = demo.t.edge_dir(1) / "edge.sqlite3"
        tables_before = table_bytes(db_file) | {XML: tree_bytes(db_file.parent / "documents")}
        drive(clerk, args.rate, WARM_UP)
        if args.trace:
            dump_traces(pids)
        drive(clerk, args.rate, measured + SAMPLE_EVERY / 2)
        signalled = dump_traces(pids) if args.trace else 0
        sampler.stop.set()
        sampler.join()
        xml_after = tree_bytes(db_file.parent / "documents")
        sampler.tables = (tables_before, table_bytes(db_file) | {XML: xml_after})
        ok = report(sampler, stats, args.minutes)
        if args.trace:
            print_traces(pids, trace_out, signalled)
        dead = [c.name for c in demo.children if not c.alive()]
        if dead:
            print(f"FAIL: processes died: {dead}")
            ok = False
        return 0 if ok else 1
    finally:
        demo.stop()
        tmp.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
