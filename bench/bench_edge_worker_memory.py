"""Does the edge worker keep memory in proportion to the sales it handles? Per job, in-process.

    .venv/bin/python bench/bench_edge_worker_memory.py [--sales 3000] [--batch 500]
        [--warm 250] [--idle-rounds 100] [--frames 16 | --frames 0] [--scheduler]

Starts the demo's processes for one sede (SUNAT simulator without SUNAT's rule sheets, hub with
its embedded PostgreSQL and its worker, the laboratory stand-in, ``labred edge serve``) but not
``labred edge worker``: this process runs the worker's jobs itself. Sales (mixed payments, a
factura now and then, tubes taken for one sale in two, so the stand-in sends results back over
MLLP to the listener this process runs) are made over HTTP by a child process, ``--batch`` at a
time, after ``--warm`` sales that are not measured.

Rounds (default): after each batch every registered job (``edge.worker.registered_jobs``) runs,
one after the other, round after round, until the outbox, the SUNAT queue and the laboratory
queue are empty; ``housekeeping`` once per 1,000 sales. Around every call, ``gc.collect()`` and
``tracemalloc``'s traced bytes: per job, the Python memory it *kept* (summed; what one job
allocates and another frees moves between rows, the total is what counts) and its largest
call's peak over what was held before it (its working set, which the allocator keeps); what
happens between calls (the MLLP listener's thread, the hub link's proxy) is "between rounds".
Baseline, same run: ``--idle-rounds`` rounds before the first measured sale, no sales.

``--scheduler``: the worker as ``labred edge worker`` runs it (``run_worker`` in a thread:
APScheduler, its thread pool, edge.toml's job intervals) while the sales are made; at each
checkpoint, once nothing is left to do. Baseline, same run: ``--idle-rounds`` seconds idle.

At 0, 1,000, 2,000 ... sales (after gc): traced Python bytes, SQLite's own memory
(``sqlite3_memory_used``: page caches and prepared statements of every pooled connection),
malloc's bytes in use and held from the system (``mallinfo2``: what C allocates too), RSS (all
three less tracemalloc's own memory), pooled connections, SQLAlchemy's compiled cache, objects
created since the warm-up (by type), threads, fds, logging handlers; ``--frames`` > 0: the lines
and the outermost labred frames whose memory grew the most. ``--frames 0`` traces nothing (the
memory and speed of a real worker: tracemalloc makes the rounds ~10 times slower).
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import ctypes.util
import datetime as dt
import gc
import itertools
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

#: The jobs of one round, in this order (housekeeping apart: once per 1,000 sales).
ROUND = (
    "sync.push",
    "sync.pull",
    "sunat.send",
    "sunat.summaries",
    "lab.send",
    "lab.listener",
    "billing.missing_files",
    "billing.restored_files",
    "billing.series_fence",
    "disk.check",
)
BETWEEN = "between rounds"
MB = 1024 * 1024


# -- the seller (a child process: its memory is not this process's) ----------------------------
def sell(base: str, n: int, seed: int) -> None:
    import httpx
    from soak_load import Clerk, LoadStats

    stats = LoadStats()
    clerk = Clerk(base, random.Random(seed), stats)
    clerk.dni = itertools.count(10_000_000 + seed * 100_000)

    def one(i: int) -> None:
        try:
            clerk.sale()
            if i % 2:
                clerk.tubes()
        except httpx.HTTPError as exc:
            stats.fail("exception", exc)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, range(n)))
    print(json.dumps({"sales": stats.sales, "errors": dict(stats.errors),
                      "first": stats.first_errors[:3]}))  # fmt: skip


# -- measures ---------------------------------------------------------------------------------
class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks "
        "keepcost".split()
    ]


_LIBC = ctypes.CDLL("libc.so.6")
_LIBC.mallinfo2.restype = _MallInfo2
_SQLITE = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
_SQLITE.sqlite3_memory_used.restype = ctypes.c_int64


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Point:
    sales: int
    traced: int
    overhead: int
    sqlite: int
    malloc: int
    heap: int
    conns: int
    rss: float
    compiled: int
    objects: collections.Counter[str]
    threads: int
    fds: int
    handlers: int
    snapshot: Path | None  # dumped to a file: a snapshot kept in memory would be measured


def point(sales: int, engine: Any, folder: Path) -> Point:
    gc.collect()
    info = _LIBC.mallinfo2()
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    p = Point(
        sales=sales,
        traced=tracemalloc.get_traced_memory()[0],
        overhead=tracemalloc.get_tracemalloc_memory(),
        sqlite=int(_SQLITE.sqlite3_memory_used()),
        malloc=int(info.uordblks + info.hblkhd),
        heap=int(info.arena + info.hblkhd),
        conns=engine.pool.checkedin() + engine.pool.checkedout(),
        rss=rss_mb(),
        compiled=len(engine._compiled_cache or ()),
        objects=collections.Counter(type(o).__name__ for o in gc.get_objects()),
        threads=threading.active_count(),
        fds=len(os.listdir("/proc/self/fd")),
        handlers=sum(len(getattr(lg, "handlers", ())) for lg in loggers),
        snapshot=None,
    )
    if tracemalloc.is_tracing():
        p.snapshot = folder / f"snapshot-{sales}.bin"
        tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
        ).dump(str(p.snapshot))
        gc.collect()
    return p


@dataclass
class Ledger:
    kept: collections.Counter[str] = field(default_factory=collections.Counter)
    calls: collections.Counter[str] = field(default_factory=collections.Counter)
    wall: collections.defaultdict[str, float] = field(
        default_factory=lambda: collections.defaultdict(float)
    )
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    peak: collections.Counter[str] = field(default_factory=collections.Counter)
    rounds: int = 0


class Runner:
    """Runs the worker's jobs one at a time and books what each kept."""

    def __init__(self, rt: Any) -> None:
        from edge.worker import registered_jobs

        self.rt = rt
        self.jobs = registered_jobs()
        assert set(self.jobs) == {*ROUND, "housekeeping"}, sorted(self.jobs)
        self.ledger = Ledger()
        self.remark()

    def remark(self) -> None:
        gc.collect()
        self.mark = tracemalloc.get_traced_memory()[0]

    def _book(self, name: str) -> None:
        if not tracemalloc.is_tracing():
            return
        gc.collect()
        now = tracemalloc.get_traced_memory()[0]
        self.ledger.kept[name] += now - self.mark
        self.mark = now

    def call(self, name: str) -> Any:
        self._book(BETWEEN)
        if tracemalloc.is_tracing():
            tracemalloc.reset_peak()
        started = time.perf_counter()
        try:
            fn = self.jobs[name].fn
            result = fn(self.rt)
        except Exception:  # noqa: BLE001 - as the worker does: logged, next round
            logging.getLogger("bench").exception("job %s failed", name)
            self.ledger.failures[name] += 1
            result = None
        self.ledger.wall[name] += time.perf_counter() - started
        if tracemalloc.is_tracing():  # the call's working set: what the allocator must hold
            peak = tracemalloc.get_traced_memory()[1] - self.mark
            self.ledger.peak[name] = max(self.ledger.peak[name], peak)
        self.ledger.calls[name] += 1
        self._book(name)
        return result

    def round(self) -> bool:
        """One round of every job; True when it found nothing to do."""
        from edge.sync import service as sync_service

        results = {name: self.call(name) for name in ROUND}
        self.ledger.rounds += 1
        sunat = results["sunat.send"]
        lab = results["lab.send"] or {}
        summaries = results["sunat.summaries"]
        return (
            sync_service.backlog(self.rt.engine) == 0
            and (sunat is None or sunat.sent == 0)
            and not lab.get("sent")
            and (summaries is None or not (summaries.sent or summaries.polled))
        )

    def drain(self, timeout: float = 300.0) -> None:
        """Rounds until two in a row find nothing (results arrive ~1 s after their tubes)."""
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < 2 and time.monotonic() < deadline:
            quiet = quiet + 1 if self.round() else 0
            time.sleep(0.5)


# -- the node ---------------------------------------------------------------------------------
def start_demo(data: Path) -> Any:
    """The demo's processes for one sede, without its edge worker; the Demo (to stop it)."""
    from bench_soak import nine_in_lima

    from labred.demo.orchestrator import Demo, DemoOptions
    from labred.demo.processes import Child
    from tests.procs import free_port_block

    class NoWorkerDemo(Demo):
        def _child(self, name: str, argv: list[str], log: str, ready: str | None) -> Child:
            if name.startswith("worker "):  # this process runs the worker's jobs
                return Child(name, argv, self.t.logs / log)
            if "--sunat-data" in argv:  # SUNAT's rule sheets: the simulator's CPU, not the edge's
                at = argv.index("--sunat-data")
                argv = argv[:at] + argv[at + 2 :]
            return super()._child(name, argv, log, ready)

    demo = NoWorkerDemo(DemoOptions(1, free_port_block(), data, headless=True))
    demo.setup()
    for name in ("hub", "S01"):  # 09:00 in Lima: the business date stays the same
        demo.t.clock_file(name).write_text(str(nine_in_lima(dt.datetime.now(dt.UTC))))
    demo.start()
    return demo


def selling(demo: Any, n: int, seed: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--sell", str(n), "--base", demo.t.edge_url(1),
         "--seed", str(seed)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    got: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return got


# -- the report -------------------------------------------------------------------------------


def sell_batch(demo: Any, n: int, seed: int) -> None:
    """``n`` sales (:func:`selling`); their failures are printed, the measure goes on."""
    got = selling(demo, n, seed)
    if got["errors"]:
        print(f"  sale errors: {got['errors']} {got['first']}", flush=True)


def per_round(ledger: Ledger) -> dict[str, float]:
    return {k: v / max(1, ledger.rounds) for k, v in ledger.kept.items()}


def entry(frames: tracemalloc.Traceback) -> str:
    """The outermost frame of labred's code in a traceback (what the allocation served)."""
    for frame in frames:  # oldest first
        if frame.filename.startswith(str(ROOT)) and "/.venv/" not in frame.filename:
            if not frame.filename.endswith(Path(__file__).name):
                return f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno}"
    return f"(outside labred) {frames[-1].filename.rsplit('/', 2)[-1]}:{frames[-1].lineno}"


def report(points: list[Point], idle: Ledger, segments: list[tuple[int, Ledger]]) -> None:
    print("\n== memory at each checkpoint (after gc; objects: created since the warm-up) ==")
    print(f"{'sales':>6} {'python MB':>10} {'sqlite MB':>10} {'malloc MB':>10} {'heap MB':>8}"
          f" {'RSS MB':>8} {'conns':>5} {'compiled':>8} {'objects':>8} {'thr':>4} {'fds':>4}"
          f" {'hdl':>4}")  # fmt: skip
    for p in points:
        print(f"{p.sales:>6} {p.traced / MB:>10.2f} {p.sqlite / MB:>10.2f}"
              f" {(p.malloc - p.overhead) / MB:>10.2f} {(p.heap - p.overhead) / MB:>8.1f}"
              f" {p.rss - p.overhead / MB:>8.1f} {p.conns:>5} {p.compiled:>8}"
              f" {sum(p.objects.values()):>8} {p.threads:>4} {p.fds:>4}"
              f" {p.handlers:>4}")  # fmt: skip
    print("(malloc: bytes malloc hands out, SQLite's, libxml2's and OpenSSL's included; heap: what"
          " malloc holds from the system, free parts too; both and RSS less tracemalloc's own;"
          " conns: the engine's pooled SQLite connections)")  # fmt: skip
    print("\n== growth per 1,000 sales, checkpoint to checkpoint (MB) ==")
    print(f"{'sales':>13} {'python':>8} {'sqlite':>8} {'malloc':>8} {'heap':>8} {'RSS':>8}")
    for a, b in itertools.pairwise(points):
        k = 1000 / max(1, b.sales - a.sales)
        malloc = (b.malloc - b.overhead) - (a.malloc - a.overhead)
        heap = (b.heap - b.overhead) - (a.heap - a.overhead)
        rss = (b.rss - b.overhead / MB) - (a.rss - a.overhead / MB)
        print(f"{a.sales:>6}-{b.sales:<6} {(b.traced - a.traced) / MB * k:>+8.2f}"
              f" {(b.sqlite - a.sqlite) / MB * k:>+8.2f} {malloc / MB * k:>+8.2f}"
              f" {heap / MB * k:>+8.2f} {rss * k:>+8.2f}")  # fmt: skip
    first, last = points[min(1, len(points) - 2)], points[-1]
    grown = (last.objects - first.objects).most_common(10)
    print(f"objects that grew {first.sales} -> {last.sales}: "
          + ", ".join(f"{k} +{v}" for k, v in grown))  # fmt: skip
    names = [*ROUND, "housekeeping", BETWEEN]
    load = Ledger()
    for _, seg in segments:
        load.kept.update(seg.kept)
        load.calls.update(seg.calls)
        for name, seconds in seg.wall.items():
            load.wall[name] += seconds
        load.failures.update(seg.failures)
        load.rounds += seg.rounds
    calls, wall, fails = load.calls, load.wall, load.failures
    print("\nwall ms per call under load: " + ", ".join(
        f"{n} {1000 * wall[n] / max(1, calls[n]):.1f}" for n in names if calls[n]))  # fmt: skip
    if fails or idle.failures:
        print(f"FAILED CALLS: load {dict(fails)} idle {dict(idle.failures)}")
    if last.snapshot is None or first.snapshot is None:
        return
    tracemalloc.stop()  # the snapshots' loading is not measured any more
    before = tracemalloc.Snapshot.load(str(first.snapshot))
    after = tracemalloc.Snapshot.load(str(last.snapshot))
    print("\n== KiB of Python memory each job kept (tracemalloc, after gc) ==")
    head = "".join(f" {f'to {s}':>9}" for s, _ in segments)
    print(f"{'job':<23} {'idle/round':>10} {'load/round':>10}{head}")
    for name in names:
        cells = "".join(f" {seg.kept[name] / 1024:>9.1f}" for _, seg in segments)
        print(f"{name:<23} {per_round(idle).get(name, 0.0) / 1024:>10.2f}"
              f" {per_round(load).get(name, 0.0) / 1024:>10.2f}{cells}")  # fmt: skip
    rounds = "".join(f" {seg.rounds:>9}" for _, seg in segments)
    print(f"{'(rounds)':<23} {idle.rounds:>10} {load.rounds:>10}{rounds}")
    print("\n== KiB of a job's largest call (its peak over what was held before it) ==")
    print(f"{'job':<23} {'idle':>10} {'':>10}{head}")
    for name in names[:-1]:
        cells = "".join(f" {seg.peak[name] / 1024:>9.0f}" for _, seg in segments)
        print(f"{name:<23} {idle.peak[name] / 1024:>10.0f} {'':>10}{cells}")
    diff = after.compare_to(before, "traceback")
    if len(diff) and len(diff[0].traceback) > 1:
        by_entry = collections.Counter[str]()
        for stat in diff:
            by_entry[entry(stat.traceback)] += stat.size_diff
        print(f"\n== KiB grown {first.sales} -> {last.sales} sales, by outermost labred frame ==")
        for key, size in sorted(by_entry.items(), key=lambda kv: -abs(kv[1]))[:12]:
            print(f"  {size / 1024:+9.1f}  {key}")
    print(f"\n== lines whose traced memory grew most, {first.sales} -> {last.sales} sales ==")
    for stat in after.compare_to(before, "lineno")[:12]:
        print(f"  {stat}")


def rounds(demo: Any, rt: Any, args: argparse.Namespace, tmp: Path) -> Any:
    """Jobs in rounds, drained after every batch of sales; per-job figures."""
    runner = Runner(rt)
    seed = itertools.count(1)
    started = time.monotonic()
    sold = selling(demo, args.warm, next(seed))
    runner.drain()
    runner.call("housekeeping")
    print(f"warm-up: {sold} in {time.monotonic() - started:.0f} s", flush=True)
    gc.freeze()  # what start-up and warm-up made: later collections skip it
    runner.ledger = idle = Ledger()
    for _ in range(args.idle_rounds):
        runner.round()
    points = [point(0, rt.engine, tmp)]
    runner.remark()
    segments: list[tuple[int, Ledger]] = []
    total = 0
    while total < args.sales:
        runner.ledger = seg = Ledger()
        upto = min(args.sales, total + 1000)
        while total < upto:
            n = min(args.batch, upto - total)
            sell_batch(demo, n, next(seed))
            total += n
            runner.drain()
        runner.call("housekeeping")
        segments.append((upto, seg))
        points.append(point(total, rt.engine, tmp))
        runner.remark()  # the checkpoint's own snapshot is not a job's
        progress(points[-1], started, f"{seg.rounds} rounds")
    return points, idle, segments


def progress(p: Point, started: float, extra: str) -> None:
    print(f"{p.sales} sales at {time.monotonic() - started:.0f} s: python {p.traced / MB:.2f} MB,"
          f" sqlite {p.sqlite / MB:.2f} MB, RSS {p.rss:.1f} MB, {extra}", flush=True)  # fmt: skip


def quiet(rt: Any) -> bool:
    """Nothing left for the worker: outbox pushed, no SUNAT or laboratory job due."""
    from edge.billing.sender import due_ids
    from edge.db import read_session
    from edge.labsync.queue import next_due
    from edge.sync import service as sync_service

    now = rt.clock.now()
    with read_session(rt.engine) as session:
        busy = due_ids(session, now, 1) or next_due(session=session, now=now, limit=1)
    return not busy and sync_service.backlog(rt.engine) == 0


def settle(rt: Any, timeout: float = 300.0) -> None:
    deadline, calm = time.monotonic() + timeout, 0
    while calm < 3 and time.monotonic() < deadline:
        calm = calm + 1 if quiet(rt) else 0
        time.sleep(1.0)


def scheduled(demo: Any, rt: Any, args: argparse.Namespace, tmp: Path) -> Any:
    """The worker as ``labred edge worker`` runs it (in a thread), sales made meanwhile."""
    from edge.worker import run_worker

    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(rt,), kwargs={"stop": stop}, daemon=True)
    thread.start()
    seed = itertools.count(1)
    started = time.monotonic()
    try:
        sold = selling(demo, args.warm, next(seed))
        settle(rt)
        print(f"warm-up: {sold} in {time.monotonic() - started:.0f} s", flush=True)
        gc.freeze()
        idle_seconds = args.idle_rounds  # one a second, as sync.push runs
        before = point(0, rt.engine, tmp)
        time.sleep(idle_seconds)
        points = [point(0, rt.engine, tmp)]
        idle = points[0].rss - before.rss
        print(f"idle {idle_seconds} s: RSS {idle:+.2f} MB, sqlite "
              f"{(points[0].sqlite - before.sqlite) / MB:+.2f} MB, malloc "
              f"{(points[0].malloc - before.malloc) / MB:+.2f} MB", flush=True)  # fmt: skip
        total = 0
        while total < args.sales:
            upto = min(args.sales, total + 1000)
            t0 = time.monotonic()
            while total < upto:
                n = min(args.batch, upto - total)
                sell_batch(demo, n, next(seed))
                total += n
            settle(rt)
            points.append(point(total, rt.engine, tmp))
            progress(points[-1], started, f"{time.monotonic() - t0:.0f} s for these 1,000")
    finally:
        stop.set()
        thread.join(timeout=60)
    return points, Ledger(), []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sales", type=int, default=3000, help="measured sales (checkpoint/1,000)")
    ap.add_argument("--batch", type=int, default=500, help="sales between two drains")
    ap.add_argument("--warm", type=int, default=250, help="sales before the first checkpoint")
    ap.add_argument("--idle-rounds", type=int, default=100,
                    help="baseline rounds (--scheduler: seconds), no sales")  # fmt: skip
    ap.add_argument("--scheduler", action="store_true",
                    help="the worker itself (run_worker: APScheduler, edge.toml's intervals) "
                    "while sales are made; no per-job figures")  # fmt: skip
    ap.add_argument("--frames", type=int, default=16, help="tracemalloc frames (0: no tracing)")
    ap.add_argument("--sell", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.sell is not None:
        sell(args.base, args.sell, args.seed)
        return 0

    os.environ.setdefault("LABRED_EDGE_LOG_LEVEL", "WARNING")
    tmp = tempfile.TemporaryDirectory(prefix="bench-worker-mem-")
    demo = start_demo(Path(tmp.name) / "demo")
    try:
        import httpx
        from bench_soak import until

        from edge.runtime import EdgeRuntime
        from edge.settings import load_edge_settings
        from labred.demo.topology import DEMO_PASSWORD
        from sync.webapp import configure_logging

        def can_login() -> bool:
            body = {"username": "recepcion.s01", "password": DEMO_PASSWORD}
            r = httpx.post(demo.t.edge_url(1) + "/api/auth/login", json=body, timeout=10)
            return bool(r.status_code == 200)

        until("the sede's users from the hub", can_login, 120)
        rt = EdgeRuntime.open(load_edge_settings(demo.t.edge_dir(1)))
        configure_logging("WARNING")
        if args.frames:
            tracemalloc.start(args.frames)
        started = time.monotonic()
        if args.scheduler:
            points, idle, segments = scheduled(demo, rt, args, Path(tmp.name))
        else:
            points, idle, segments = rounds(demo, rt, args, Path(tmp.name))
        report(points, idle, segments)
        print(f"\nload average {os.getloadavg()[0]:.1f}; {time.monotonic() - started:.0f} s")
    finally:
        demo.stop()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
