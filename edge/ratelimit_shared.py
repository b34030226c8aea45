"""The per-user rate limit shared by every API process of a node (``serve --workers N``).

:class:`sync.ratelimit.SlidingWindowLimiter` keeps its log in one process's memory; with N
processes a client would get N times the limit. :class:`SharedWindowLimiter` keeps the same
kind of state in a small memory-mapped file beside the database, guarded by an ``flock``:

- a fixed table of ``slots`` clients (open addressing on a 16-byte BLAKE2 digest of the key);
- per client, the window cut into ``CELLS - 1`` buckets of ``window / (CELLS - 1)`` seconds,
  each with its count of allowed requests (a ring of ``CELLS`` cells).

A request is allowed when the buckets that overlap the last ``window`` seconds hold fewer than
``limit`` hits. The bucket that straddles the start of the window is counted whole, so no
``window``-second span ever holds more than ``limit`` (as with the exact log); the price is
that a refused client may wait up to one bucket (1 s for a minute) longer than with the log.
When every slot near a key's home is taken by a client active within the window, the one
idle longest is forgotten (lenient, never wrong the other way). The file need not survive a
crash or a reboot: times are wall-clock seconds, and a bucket from the future (the clock went
back) is treated as empty.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

CELLS = 61  # 60 buckets cover the window; one more is the bucket straddling its start
SLOTS = 1024
PROBES = 32
MAGIC = b"LBRLIM01"
_HEADER = struct.Struct("<8sIId")  # magic, slots, cells, bucket width
HEADER_SIZE = 64
_KEY = struct.Struct("<16sq")  # digest, last bucket written
_BUCKETS = struct.Struct(f"<{CELLS}q")
_COUNTS = struct.Struct(f"<{CELLS}I")
_CELL_Q = struct.Struct("<q")
_CELL_I = struct.Struct("<I")
SLOT_SIZE = 768
_EMPTY = bytes(16)
assert _KEY.size + _BUCKETS.size + _COUNTS.size <= SLOT_SIZE


class SharedWindowLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds, across processes.

    Same interface as :class:`sync.ratelimit.SlidingWindowLimiter` (``hit``, ``reset``,
    ``len``, ``limit``, ``window``). Each process opens and maps the file itself on first use.
    """

    def __init__(
        self,
        path: Path,
        limit: int,
        *,
        window: float = 60.0,
        slots: int = SLOTS,
        now: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1 or window <= 0 or slots < 1:
            raise ValueError("limit must be >= 1, window > 0 and slots >= 1")
        self.path = path
        self.limit = limit
        self.window = window
        self.slots = slots
        self.width = window / (CELLS - 1)
        self._now = now
        self._size = HEADER_SIZE + slots * SLOT_SIZE
        self._pid = 0
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._thread_lock = threading.Lock()  # flock is per open file, not per thread

    # ------------------------------------------------------------------ file
    def _attach(self) -> mmap.mmap:
        if self._pid == os.getpid() and self._map is not None:
            return self._map
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_size != self._size:
                os.ftruncate(fd, 0)
                os.ftruncate(fd, self._size)
            mapped = mmap.mmap(fd, self._size, mmap.MAP_SHARED)
            header = _HEADER.unpack_from(mapped, 0)
            if header != (MAGIC, self.slots, CELLS, self.width):  # new file or other layout
                mapped[: self._size] = bytes(self._size)
                _HEADER.pack_into(mapped, 0, MAGIC, self.slots, CELLS, self.width)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._fd, self._map, self._pid = fd, mapped, os.getpid()
        return mapped

    def close(self) -> None:
        if self._map is not None and self._pid == os.getpid():
            self._map.close()
            os.close(self._fd)
        self._map, self._fd, self._pid = None, -1, 0

    # ------------------------------------------------------------------ limiter
    def hit(self, key: str) -> int | None:
        """Count one request of ``key``: None when allowed, else the seconds to wait (>= 1)."""
        now = self._now()
        bucket = math.floor(now / self.width)
        oldest = bucket - (CELLS - 1)
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        home = int.from_bytes(digest[:8], "little") % self.slots
        with self._thread_lock:
            mapped = self._attach()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                off = self._slot(mapped, digest, home, oldest)
                base = off + _KEY.size
                buckets = _BUCKETS.unpack_from(mapped, base)
                counts = _COUNTS.unpack_from(mapped, base + _BUCKETS.size)
                total = 0
                earliest = bucket
                for b, n in zip(buckets, counts, strict=True):
                    if oldest <= b <= bucket and n:
                        total += n
                        earliest = min(earliest, b)
                if total >= self.limit:
                    return max(1, math.ceil((earliest + CELLS) * self.width - now))
                cell = bucket % CELLS
                count = counts[cell] + 1 if buckets[cell] == bucket else 1
                _CELL_Q.pack_into(mapped, base + cell * 8, bucket)
                _CELL_I.pack_into(mapped, base + _BUCKETS.size + cell * 4, count)
                _KEY.pack_into(mapped, off, digest, bucket)
                return None
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _slot(self, mapped: mmap.mmap, digest: bytes, home: int, oldest: int) -> int:
        """Offset of ``digest``'s slot; a free, expired or (last resort) the idlest slot near
        its home is cleared and given to it."""
        free = victim = -1
        victim_last = 0
        for j in range(min(PROBES, self.slots)):
            off = HEADER_SIZE + ((home + j) % self.slots) * SLOT_SIZE
            held, last = _KEY.unpack_from(mapped, off)
            if held == digest:
                return off
            if held == _EMPTY:  # never used: the key is not further along
                free = off if free < 0 else free
                break
            if free < 0 and last < oldest:
                free = off
            if victim < 0 or last < victim_last:
                victim, victim_last = off, last
        off = free if free >= 0 else victim
        mapped[off : off + SLOT_SIZE] = bytes(SLOT_SIZE)
        _KEY.pack_into(mapped, off, digest, 0)
        return off

    def reset(self) -> None:
        with self._thread_lock:
            mapped = self._attach()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                mapped[HEADER_SIZE : self._size] = bytes(self._size - HEADER_SIZE)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def __len__(self) -> int:
        """Clients with a hit inside the window."""
        oldest = math.floor(self._now() / self.width) - (CELLS - 1)
        with self._thread_lock:
            mapped = self._attach()
            return sum(
                1
                for k in range(self.slots)
                if (key := _KEY.unpack_from(mapped, HEADER_SIZE + k * SLOT_SIZE))[0] != _EMPTY
                and key[1] >= oldest
            )


__all__ = ["SharedWindowLimiter"]
