"""Sampling of bench/bench_soak.py: per process (the process and its children summed) RSS and
PSS (``/proc/<pid>/smaps_rollup``), open fds and threads every few seconds, with what the fds
and threads are (bench/soak_probe.py) for the processes judged; the edge's database files."""

from __future__ import annotations

import os
import sqlite3
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench_sales import proc_stat, process_tree
from soak_load import LoadStats
from soak_probe import fd_kinds, memory_parts, thread_names

SAMPLE_EVERY = 5.0
JUDGED = ("edge", "edge worker", "hub", "hub worker")


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
    details: dict[str, Details] = field(default_factory=dict)


@dataclass
class Details:
    """What the fds and threads of a judged process are, and its memory by smaps field."""

    fds: Counter[str]
    threads: Counter[str]
    memory: dict[str, float]


def details(pid: int, ports: dict[int, str]) -> Details:
    tree = process_tree(pid)
    return Details(fd_kinds(tree, ports), thread_names(tree), memory_parts(tree))


class Sampler(threading.Thread):
    def __init__(
        self, pids: dict[str, int], edge_dir: Path, stats: LoadStats, ports: dict[int, str]
    ) -> None:
        super().__init__(daemon=True)
        self.pids, self.edge_dir, self.stats, self.ports = pids, edge_dir, stats, ports
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
            details={n: details(p, self.ports) for n, p in self.pids.items() if n in JUDGED},
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
