"""The report and verdict of bench/bench_soak.py (the rule is stated in its docstring)."""

from __future__ import annotations

from dataclasses import dataclass

from soak_probe import diff_line
from soak_record import Record
from soak_sampling import JUDGED, Sample, slope, window

WARM_UP = 60.0
RSS_MB_PER_1K = 0.5
RSS_MIN_GROWTH_MB = 1.5
#: Second-half RSS slope at or under this share of the first half's: levelling off, not a leak.
DECELERATED = 0.5
#: A half of the window with fewer than this share of its sales: the load stalled.
STALLED = 0.25
FDS_PER_1K = 0.5
FDS_MIN_STEP = 2
THREADS_MIN_STEP = 1
# Pruned by edge housekeeping (acknowledged outbox rows after retention_backup_days + 2 days).
PRUNED = frozenset({"sync_outbox"})
PRUNED_AFTER_DAYS = 32
XML = "<xml files>"
MEMORY_FIELDS = ("Rss", "Anonymous", "Private_Dirty", "Private_Clean", "Shared_Clean")


@dataclass
class Slopes:
    """Per 1,000 sales over a window (x = sales), and the idle slope in the same unit."""

    rss: float
    pss: float
    fds: float
    threads: float


def per_1k(samples: list[Sample], name: str) -> Slopes:
    xs = [float(s.sales) for s in samples]

    def one(attr: str) -> float:
        return 1000 * slope(xs, [float(getattr(s.procs[name], attr)) for s in samples])

    return Slopes(one("rss"), one("pss"), one("fds"), one("threads"))


def idle_per_1k(samples: list[Sample], name: str, per_1k_time: float) -> Slopes:
    xs = [s.t for s in samples]

    def one(attr: str) -> float:
        return per_1k_time * slope(xs, [float(getattr(s.procs[name], attr)) for s in samples])

    return Slopes(one("rss"), one("pss"), one("fds"), one("threads"))


def halves(samples: list[Sample]) -> tuple[list[Sample], list[Sample]]:
    mid = len(samples) // 2
    return samples[: mid + 1], samples[mid:]


def step(samples: list[Sample], name: str, attr: str) -> int:
    """Minimum over the last third minus the minimum over the middle third."""
    third = max(1, len(samples) // 3)
    first = min(getattr(s.procs[name], attr) for s in samples[third:-third])
    last = min(getattr(s.procs[name], attr) for s in samples[-third:])
    return int(last - first)


def verdict(load: list[Sample], name: str, idle: Slopes) -> list[str]:
    """What grows (empty: nothing); the rule of the module docstring of bench_soak.py."""
    first, second = halves(load)
    h1, h2 = per_1k(first, name), per_1k(second, name)
    sold = second[-1].sales - second[0].sales
    bad = []
    beyond = h2.rss - max(idle.rss, 0.0)
    still_rising = h2.rss > DECELERATED * h1.rss
    if beyond > RSS_MB_PER_1K and beyond * sold / 1000 > RSS_MIN_GROWTH_MB and still_rising:
        bad.append("RSS")
    whole = per_1k(load, name)
    if whole.fds > FDS_PER_1K and step(load, name, "fds") >= FDS_MIN_STEP:
        bad.append("fds")
    if whole.threads > 0 and step(load, name, "threads") >= THREADS_MIN_STEP:
        bad.append("threads")
    return bad


def report(rec: Record) -> bool:
    idle = window(rec.samples, "idle")
    load = window(rec.samples, "load", after=WARM_UP)
    if len(load) < 6 or len(idle) < 3:
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
        f"{'process':12} {'RSS MB/1k':>9} {'idle':>6} {'1st½':>6} {'2nd½':>6} {'PSS/1k':>7} "
        f"{'fds/1k':>7} {'1st½':>6} {'2nd½':>6} {'thr/1k':>7} {'idle':>5}  "
        f"RSS start→end   verdict"
    )
    passed = True
    first_half, second_half = halves(load)
    in_halves = [w[-1].sales - w[0].sales for w in (first_half, second_half)]
    if min(in_halves) < STALLED * sold:
        print(f"FAIL: the sales stalled (per half: {in_halves}); slopes per sale say nothing")
        passed = False
    for name in rec.pids:
        whole, idl = per_1k(load, name), idle_per_1k(idle, name, per_1k_time)
        h1, h2 = per_1k(first_half, name), per_1k(second_half, name)
        bad = verdict(load, name, idl)
        judged = name in JUDGED
        text = ("GROWS: " + ",".join(bad)) if bad else "ok"
        if not judged:
            text += " (reported only)"
        passed = passed and not (bad and judged)
        r0, r1 = load[0].procs[name].rss, load[-1].procs[name].rss
        print(
            f"{name:12} {whole.rss:9.3f} {idl.rss:6.2f} {h1.rss:6.2f} {h2.rss:6.2f} "
            f"{whole.pss:7.3f} {whole.fds:7.2f} {h1.fds:6.2f} {h2.fds:6.2f} "
            f"{whole.threads:7.2f} {idl.threads:5.2f}  {r0:6.1f}→{r1:6.1f}  {text}"
        )
    print_details(load)
    print_storage(rec)
    print(
        f"\nsales answered 201: {rec.sales} of {rec.offered} offered; counter actions: "
        f"{rec.actions}"
    )
    if rec.errors:
        print(f"errors: {rec.errors}")
        for line in rec.first_errors:
            print(f"  {line}")
    if rec.offered and rec.sales < 0.9 * rec.offered:
        print("FAIL: the load was not driven (fewer than 90 % of the sales answered)")
        passed = False
    if rec.dead:
        print(f"FAIL: processes died: {rec.dead}")
        passed = False
    print(f"load average at the end: {rec.load_average}")
    print("PASS" if passed else "FAIL")
    return passed


def print_details(load: list[Sample]) -> None:
    """Judged processes: fds by kind, threads by name, memory by smaps field, start → middle →
    end of the measured window."""
    first, middle, last = load[0], load[len(load) // 2], load[-1]
    for name in sorted(last.details):
        a, m, b = first.details.get(name), middle.details.get(name), last.details.get(name)
        if a is None or m is None or b is None:
            continue
        print(f"\n{name}: start → middle → end of the measured window")
        print("  fds:     " + diff_line(a.fds, m.fds) + "  ||  " + diff_line(m.fds, b.fds))
        print(
            "  threads: "
            + diff_line(a.threads, m.threads)
            + "  ||  "
            + diff_line(m.threads, b.threads)
        )
        mem = ", ".join(
            f"{f} {a.memory.get(f, 0):.1f}→{m.memory.get(f, 0):.1f}→{b.memory.get(f, 0):.1f}"
            for f in MEMORY_FIELDS
        )
        print(f"  MB:      {mem}")


def print_storage(rec: Record) -> None:
    everything = window(rec.samples, "load")
    first, last = everything[0], everything[-1]
    sales = rec.sales
    if not sales or not rec.tables:
        return
    before, after = rec.tables
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
