"""Garbage-collector settings of labred's processes.

Importing the app and building its routes allocates millions of objects that live as long as
the process; with CPython's default threshold (a young-generation collection every 700
allocations) every start spent ~0.25 s (about 15 %) re-scanning them, and a server's requests
paid for full collections over that heap. Cycles are still collected, less often.
"""

from __future__ import annotations

import gc

THRESHOLD = (50_000, 20, 100)


def for_startup() -> None:
    """Collect the young generation every 50,000 allocations from the start of a command."""
    gc.set_threshold(*THRESHOLD)


def freeze_startup_heap() -> None:
    """Keep the start-up heap (modules, the app, the catalog) out of every later collection:
    a request allocates thousands of short-lived objects, and full collections over the whole
    heap were the long tail of request latency."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLD)
