"""The node's writer lock: a thread lock, then an ``flock`` shared by the node's processes.

The hand-off test runs two real processes and prints how long the waiter takes to proceed once
the holder lets go, beside the same hand-off through SQLite's busy handler (``BEGIN IMMEDIATE``
with a busy timeout and no ``flock``), which sleeps and polls.
"""

from __future__ import annotations

import fcntl
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from edge.db import Checkpointer, unit_of_work, writer_lock
from edge.runtime import EdgeRuntime

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 12

# The other process: for each "go" on stdin, take the lock, say "held", keep it for the given
# seconds, let go and print the monotonic time of the release (CLOCK_MONOTONIC is system-wide).
HOLDER = textwrap.dedent(
    """
    import sqlite3, sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from edge.db import make_engine, writer_lock

    db, mode = {db!r}, {mode!r}
    if mode == "flock":
        lock = writer_lock(make_engine(Path(db)))
    else:
        conn = sqlite3.connect(db, isolation_level=None, timeout=5)
    print("ready", flush=True)
    for line in sys.stdin:
        hold = float(line)
        if mode == "flock":
            lock.acquire()
        else:
            conn.execute("BEGIN IMMEDIATE")
        print("held", flush=True)
        time.sleep(hold)
        if mode == "flock":
            released = time.monotonic()
            lock.release()
        else:
            conn.execute("COMMIT")
            released = time.monotonic()
        print(released, flush=True)
    """
)


def _free(path: Path) -> bool:
    """Whether another open file description could take the flock right now."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases a lock taken here
    return True


def _lock_file(rt: EdgeRuntime) -> Path:
    path = writer_lock(rt.engine).path
    assert path is not None
    return path


def test_the_lock_file_sits_beside_the_database(edge_runtime: EdgeRuntime) -> None:
    assert _lock_file(edge_runtime) == Path(f"{edge_runtime.settings.db_path.resolve()}.writelock")
    assert writer_lock(edge_runtime.engine) is writer_lock(edge_runtime.engine)


def test_reentrant_within_a_thread_and_flock_held_until_the_outermost_exit(
    edge_runtime: EdgeRuntime,
) -> None:
    path = _lock_file(edge_runtime)
    with unit_of_work(edge_runtime.engine) as outer:
        assert not _free(path)
        with writer_lock(edge_runtime.engine), writer_lock(edge_runtime.engine):
            assert not _free(path)
        assert not _free(path)  # the inner exits did not drop the flock
        outer.execute(text("SELECT 1"))
    assert _free(path)


def test_released_on_exception(edge_runtime: EdgeRuntime) -> None:
    path = _lock_file(edge_runtime)
    with pytest.raises(RuntimeError), unit_of_work(edge_runtime.engine):
        assert not _free(path)
        raise RuntimeError("falla en medio de la transacción")
    assert _free(path)
    # and the thread lock too: another thread gets it at once
    got = threading.Event()

    def other() -> None:
        with writer_lock(edge_runtime.engine):
            got.set()

    worker = threading.Thread(target=other)
    worker.start()
    worker.join(timeout=5)
    assert got.is_set()


def test_threads_of_one_process_still_exclude_each_other(edge_runtime: EdgeRuntime) -> None:
    lock = writer_lock(edge_runtime.engine)
    inside = [0]
    overlap = [False]

    def work() -> None:
        for _ in range(50):
            with lock:
                inside[0] += 1
                overlap[0] = overlap[0] or inside[0] > 1
                time.sleep(0.0005)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlap[0]


@contextmanager
def _holder(db: Path, mode: str) -> Iterator[subprocess.Popen[str]]:
    code = HOLDER.format(root=str(ROOT), db=str(db), mode=mode)
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=10)


def _handoffs(db: Path, mode: str, take: Callable[[], Callable[[], None]]) -> list[float]:
    """Milliseconds from the other process's release to this one's acquisition."""
    rng = random.Random(5)
    out: list[float] = []
    with _holder(db, mode) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        for _ in range(ROUNDS):
            proc.stdin.write(f"{rng.uniform(0.03, 0.12)}\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "held"
            release = take()  # blocks until the other process lets go
            acquired = time.monotonic()
            release()
            out.append((acquired - float(proc.stdout.readline())) * 1000)
    return out


@pytest.mark.slow
def test_a_waiting_process_proceeds_promptly_after_release(edge_runtime: EdgeRuntime) -> None:
    db = edge_runtime.settings.db_path
    lock = writer_lock(edge_runtime.engine)

    def take_flock() -> Callable[[], None]:
        lock.acquire()
        return lock.release

    conn = sqlite3.connect(db, isolation_level=None, timeout=5)

    def commit() -> None:
        conn.execute("COMMIT")

    def take_busy() -> Callable[[], None]:
        conn.execute("BEGIN IMMEDIATE")
        return commit

    try:
        flock_ms = _handoffs(db, "flock", take_flock)
        busy_ms = _handoffs(db, "busy", take_busy)
    finally:
        conn.close()
    f50, b50 = statistics.median(flock_ms), statistics.median(busy_ms)
    print(
        f"\nwriter hand-off between two processes, {ROUNDS} rounds (hold 30-120 ms): "
        f"flock median {f50:.2f} ms, max {max(flock_ms):.2f} ms; SQLite busy handler median "
        f"{b50:.2f} ms, max {max(busy_ms):.2f} ms; busy/flock = {b50 / max(f50, 0.001):.0f}x"
    )
    assert all(ms >= -1 for ms in flock_ms + busy_ms)  # the clock is shared: sane figures
    assert f50 < 20, flock_ms  # generous: the kernel wakes the waiter at once


def test_one_checkpointer_per_node(edge_runtime: EdgeRuntime) -> None:
    first, second = Checkpointer(edge_runtime.engine), Checkpointer(edge_runtime.engine)
    try:
        assert first.elect() and first.elect()
        assert not second.elect()
    finally:
        first.stop()  # never started: stop only releases its flock
    try:
        assert second.elect()  # the survivor takes over
    finally:
        second.stop()
