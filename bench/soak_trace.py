"""``--trace`` of bench/bench_soak.py: every Python child starts with ``tracemalloc`` (a
``sitecustomize`` put on ``PYTHONPATH`` for the children only; the code of labred is unchanged);
SIGUSR1 makes each write its growth since the previous SIGUSR1 (by line, with the tracebacks of
the largest). Slower: figures under ``--trace`` are for finding the cause, not for a verdict."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

from bench_sales import process_tree

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


def enable(tmp: Path) -> Path:
    """Set the environment the children inherit; the directory their diffs are written to."""
    out = tmp / "trace"
    out.mkdir()
    site = tmp / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    os.environ["LABRED_SOAK_TRACEMALLOC"] = str(out)
    return out
