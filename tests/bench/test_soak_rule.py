"""The verdict of bench/bench_soak.py on made-up samples: a process that levels off passes, one
that keeps its pace or speeds up fails; the fd breakdown and the saved record."""

from __future__ import annotations

import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import pytest  # noqa: E402
import soak_load  # noqa: E402
from soak_load import LoadStats  # noqa: E402
from soak_probe import fd_kind  # noqa: E402
from soak_record import Record, load, save  # noqa: E402
from soak_report import Slopes, verdict  # noqa: E402
from soak_sampling import Details, Figures, Sample  # noqa: E402

IDLE = Slopes(rss=0.0, pss=0.0, fds=0.0, threads=0.0)


def samples(
    rss: Callable[[int], float], fds: Callable[[int], int] = lambda _: 30, n: int = 60
) -> list[Sample]:
    """``n`` samples 5 s apart at 15 sales/s (75 sales each), RSS and fds as functions of sales."""
    out = []
    for i in range(n):
        sold = 75 * i
        # A little noise, as the real samples have (the allocator, the gc).
        noise = 0.4 * math.sin(i * 1.7)
        figures = Figures(rss=rss(sold) + noise, pss=rss(sold), fds=fds(sold), threads=9)
        out.append(Sample(5.0 * i, "load", sold, {"edge": figures}, 0, 0, 0, 0))
    return out


def test_a_process_that_levels_off_passes() -> None:
    # Caches and arenas filling up: +30 MB, mostly in the first half (like the edge worker's
    # 8.7 → 1.0 MB per 1,000 sales in the 15-minute run).
    assert verdict(samples(lambda s: 200 + 30 * (1 - math.exp(-s / 900))), "edge", IDLE) == []


def test_a_steady_leak_fails() -> None:
    assert verdict(samples(lambda s: 200 + 2.0 * s / 1000), "edge", IDLE) == ["RSS"]


def test_a_leak_that_speeds_up_with_the_data_fails() -> None:
    # The edge API before the fix: 11 → 25 MB per 1,000 sales.
    assert verdict(samples(lambda s: 190 + 11 * s / 1000 + (s / 1000) ** 2), "edge", IDLE) == [
        "RSS"
    ]


def test_flat_noise_passes_and_idle_growth_is_discounted() -> None:
    assert verdict(samples(lambda s: 180.0), "edge", IDLE) == []
    growing_idle = Slopes(rss=2.5, pss=0.0, fds=0.0, threads=0.0)
    assert verdict(samples(lambda s: 200 + 2.0 * s / 1000), "edge", growing_idle) == []


def test_fds_filling_a_pool_pass_and_fds_that_keep_rising_fail() -> None:
    def pool(sold: int) -> int:
        return min(31, 24 + sold // 200)

    assert verdict(samples(lambda s: 180.0, fds=pool), "edge", IDLE) == []
    assert verdict(samples(lambda s: 180.0, fds=lambda s: 24 + s // 400), "edge", IDLE) == ["fds"]


def test_fd_kinds_name_the_peer_and_the_sqlite_files() -> None:
    tcp = {"111": "tcp ESTABLISHED :40000→:8001", "222": "tcp LISTEN :8001→:0"}
    ports = {8001: "edge"}
    assert fd_kind("socket:[111]", tcp, ports) == "tcp ESTABLISHED →edge"
    assert fd_kind("socket:[222]", tcp, ports) == "tcp LISTEN edge"
    assert fd_kind("socket:[333]", tcp, ports) == "socket (unix/other)"
    assert fd_kind("/data/edge.sqlite3-wal", tcp, ports) == "file *-wal"
    assert fd_kind("/data/edge.sqlite3", tcp, ports) == "file (sqlite db)"
    assert fd_kind("pipe:[9]", tcp, ports) == "pipe"
    assert fd_kind("anon_inode:[eventpoll]", tcp, ports) == "eventpoll"


def test_a_saved_run_reads_back_the_same(tmp_path: Path) -> None:
    run = samples(lambda s: 200 + s / 1000, n=4)
    run[0].details["edge"] = Details(Counter({"pipe": 4}), Counter({"python": 9}), {"Rss": 1.5})
    rec = Record(samples=run, pids={"edge": 1}, sales=3, offered=3, tables=({"a": 1}, {"a": 2}))
    save(rec, tmp_path / "run.json")
    again = load(tmp_path / "run.json")
    assert again.samples == rec.samples
    assert again.tables == rec.tables
    assert again.samples[0].details["edge"].fds == Counter(pipe=4)


class SlowClerk:
    """Stands in for soak_load.Clerk: every sale takes ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.stats = LoadStats()
        self.started = 0
        self.lock = threading.Lock()

    def sale(self) -> None:
        with self.lock:
            self.started += 1
        time.sleep(self.seconds)

    def act(self, n: int) -> None:
        pass


def test_a_node_slower_than_the_rate_does_not_pile_up_a_backlog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(soak_load, "BACKLOG_SECONDS", 0.2)
    clerk = SlowClerk(0.5)  # 8 threads: 16 sales/s at most
    started = time.monotonic()
    soak_load.drive(clerk, rate=40, seconds=1.5)  # type: ignore[arg-type]
    took = time.monotonic() - started
    assert clerk.stats.offered >= 55
    # Dropped sales are offered but never started (the "load driven" check then fails), and
    # the phase ends on time instead of working off 60 sales at 16/s (~3.8 s).
    assert clerk.started < clerk.stats.offered - 10
    assert took < 3.2, f"drive took {took:.1f} s"
