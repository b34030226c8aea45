"""Per-request cost of the sign-in liveness check (edge.auth.live) with the shared sign-out
file that makes a sign-out reach every ``serve --workers N`` process at once, against today's
per-process memory alone and against not remembering a live sign-in at all (a query per
request). Same run, same database, interleaved rounds.

    .venv/bin/python bench/bench_signouts.py [--calls 20000] [--rounds 5]

One "request" is what ``edge.deps.current_user`` asks of the memory: ``state(user)`` and
``session_alive(sid)``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge.auth.live import LiveUsers  # noqa: E402
from edge.runtime import EdgeRuntime  # noqa: E402
from edge.settings import EdgeSettings  # noqa: E402


def _per_call_us(live: LiveUsers, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        live.state("u-bench")
        live.session_alive("sid-bench")
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt = EdgeRuntime.open(EdgeSettings(data_dir=Path(tmp), jwt_secret="bench-" + "x" * 40))
        rt.migrate()
        today = LiveUsers(rt.engine)
        today._signouts = None  # noqa: SLF001 - what every process did before the file
        shared = LiveUsers(rt.engine)
        uncached = LiveUsers(rt.engine, ttl=0.0)
        uncached._signouts = None  # noqa: SLF001
        variants: dict[str, Callable[[], float]] = {
            "today (memory only)": lambda: _per_call_us(today, args.calls),
            "sign-out file (new)": lambda: _per_call_us(shared, args.calls),
            "no memory (query each)": lambda: _per_call_us(uncached, max(args.calls // 20, 200)),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, run in variants.items():
                times[name].append(run())
        rt.engine.dispose()
    base = statistics.median(times["today (memory only)"])
    print(f"{'variant':<24} {'µs/request':>11} {'vs today':>9}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:<24} {med:>11.2f} {med / base:>8.2f}x  (+{med - base:.2f} µs)")


if __name__ == "__main__":
    main()
