"""The rate limit shared by a node's API processes (``edge.ratelimit_shared``)."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from edge.ratelimit import SlidingWindowLimiter
from edge.ratelimit_shared import SharedWindowLimiter

ROOT = Path(__file__).resolve().parents[3]


class FakeTime:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_limit_per_window_and_retry_after(tmp_path: Path) -> None:
    now = FakeTime()
    limiter = SharedWindowLimiter(tmp_path / "rl.shm", 3, window=60, now=now)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == 61  # the first hit's one-second bucket leaves after 61 s at most
    assert limiter.hit("b") is None  # another client has its own window
    now.t += 20
    assert limiter.hit("a") == 41  # refused requests do not count
    now.t += 40.5
    assert limiter.hit("a") == 1  # rounded up, never 0
    now.t += 0.5
    assert limiter.hit("a") is None  # the first bucket left the window
    assert limiter.hit("a") is None and limiter.hit("a") is None
    assert limiter.hit("a") is not None


def test_no_window_ever_holds_more_than_the_limit(tmp_path: Path) -> None:
    """Random traffic: every 60-second span of allowed hits holds at most ``limit``, and a hit
    is refused only when the exact sliding log would have been at most one bucket away from
    refusing it too."""
    now = FakeTime()
    limit = 7
    limiter = SharedWindowLimiter(tmp_path / "rl.shm", limit, window=60, now=now)
    rng = random.Random(11)
    allowed: list[float] = []
    for _ in range(3000):
        now.t += rng.expovariate(1 / 4.0)
        if limiter.hit("k") is None:
            allowed.append(now.t)
        else:  # the exact log, widened by one bucket, is full
            assert sum(1 for t in allowed if t > now.t - 61) >= limit
    j = 0
    for i, t in enumerate(allowed):
        while allowed[j] <= t - 60:
            j += 1
        assert i - j + 1 <= limit
    assert len(allowed) > 1000  # the limit did not starve the client either


def test_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "rl.shm"
    one, two = SharedWindowLimiter(path, 4), SharedWindowLimiter(path, 4)
    assert [one.hit("u"), two.hit("u"), one.hit("u"), two.hit("u")] == [None] * 4
    assert one.hit("u") is not None and two.hit("u") is not None
    two.reset()
    assert one.hit("u") is None


def test_idle_clients_are_forgotten_and_a_full_table_evicts_the_idlest(tmp_path: Path) -> None:
    now = FakeTime()
    limiter = SharedWindowLimiter(tmp_path / "rl.shm", 2, slots=8, now=now)
    for i in range(8):
        limiter.hit(f"ip:{i}")
        now.t += 1
    assert len(limiter) == 8
    assert limiter.hit("nuevo") is None  # full: the idlest client ("ip:0") is forgotten
    assert len(limiter) == 8
    now.t += 61
    limiter.hit("otro")
    assert len(limiter) == 1


def test_refuses_nonsense(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SharedWindowLimiter(tmp_path / "rl.shm", 0)


def test_a_clock_gone_back_does_not_lock_clients_out(tmp_path: Path) -> None:
    now = FakeTime()
    limiter = SharedWindowLimiter(tmp_path / "rl.shm", 2, now=now)
    assert limiter.hit("a") is None and limiter.hit("a") is None
    now.t -= 3600
    assert limiter.hit("a") is None  # buckets "from the future" count as empty


def test_cost_per_request_against_the_in_memory_limiter(tmp_path: Path) -> None:
    shared = SharedWindowLimiter(tmp_path / "rl.shm", 10**9)
    local = SlidingWindowLimiter(10**9)
    keys = [f"user:{i}" for i in range(20)]
    n = 20_000

    def per_hit_us(limiter: SharedWindowLimiter | SlidingWindowLimiter) -> float:
        started = time.perf_counter()
        for i in range(n):
            limiter.hit(keys[i % 20])
        return (time.perf_counter() - started) / n * 1e6

    per_hit_us(shared), per_hit_us(local)  # warm up (map the file)
    s_us, l_us = min(per_hit_us(shared) for _ in range(3)), min(per_hit_us(local) for _ in range(3))
    print(
        f"\nrate limit cost per request: shared (mmap + flock) {s_us:.1f} us, "
        f"in-memory {l_us:.1f} us, ratio {s_us / l_us:.1f}x"
    )
    assert s_us < 100  # well under 0.1 ms even on a loaded machine


COUNTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from edge.ratelimit_shared import SharedWindowLimiter

    limiter = SharedWindowLimiter(Path({path!r}), {limit})
    print(sum(1 for _ in range({tries}) if limiter.hit("user:ana") is None))
    """
)


@pytest.mark.slow
def test_two_processes_together_get_the_limit_once(tmp_path: Path) -> None:
    code = COUNTER.format(root=str(ROOT), path=str(tmp_path / "rl.shm"), limit=500, tries=2000)
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    counts = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert sum(counts) == 500, counts
