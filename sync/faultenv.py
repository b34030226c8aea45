"""Test-only pauses at named sync points in a real process (the kill -9 tests).

The simulation raises from ``central.sync.faults.hook`` / ``edge.sync.service.hook`` to model a
crash at a named point; a test of real processes needs the process to *stop* there so it can
``kill -9`` it at exactly that step. With ``LABRED_FAULT_PAUSE="point=seconds[@skip],..."`` the
process, the ``skip + 1``-th time it reaches ``point``, creates the file ``point`` in the
directory ``LABRED_FAULT_MARKERS`` (the test waits for it) and sleeps ``seconds``. Without the
variable nothing is installed: production never pauses.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ENV_PAUSE = "LABRED_FAULT_PAUSE"
ENV_MARKERS = "LABRED_FAULT_MARKERS"


def parse(spec: str) -> dict[str, tuple[float, int]]:
    """``"a=5@2,b=1"`` -> ``{"a": (5.0, 2), "b": (1.0, 0)}``."""
    points: dict[str, tuple[float, int]] = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        name, _, rest = item.partition("=")
        seconds, _, skip = rest.partition("@")
        points[name.strip()] = (float(seconds or 0), int(skip or 0))
    return points


def from_env(environ: Mapping[str, str] | None = None) -> Callable[[str], None] | None:
    """The pause hook the environment asks for, or ``None``."""
    env = os.environ if environ is None else environ
    spec = env.get(ENV_PAUSE, "")
    if not spec:
        return None
    points = parse(spec)
    markers = Path(env.get(ENV_MARKERS, "."))
    hits: dict[str, int] = {}
    lock = threading.Lock()

    def hook(point: str) -> None:
        if point not in points:
            return
        seconds, skip = points[point]
        with lock:
            hits[point] = hits.get(point, 0) + 1
            due = hits[point] == skip + 1
        if due:
            markers.mkdir(parents=True, exist_ok=True)
            (markers / point).write_text(str(os.getpid()))
            time.sleep(seconds)

    return hook
