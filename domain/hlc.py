"""Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014).

A timestamp is ``(wall_ms, counter, node)``: the largest wall-clock millisecond seen, a
counter that orders events within it, and the node id as a final tie-break. Encoded as
``{wall_ms:012x}-{counter:04x}-{node}`` (e.g. ``0192f0a1b2c3-0000-edge01``): fixed-width
lowercase hex, so byte-wise (SQLite ``BINARY``, PostgreSQL ``COLLATE "C"``) string order is
timestamp order. Node ids are lowercase letters, digits and hyphens.

``HLC.now()`` stamps a local or send event, ``HLC.update(remote)`` a receive; both are
strictly monotonic even when the wall clock steps back. When the 16-bit counter would
overflow the stamp moves to the next millisecond (a logical step ahead of the wall clock,
caught up as soon as real time passes it). ``HLC.restore(last)`` resumes from the last
persisted stamp so a restarted node never goes back.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from domain.clock import Clock, to_unix_ms
from domain.errors import InvalidInput, RuleViolation

WALL_MAX = (1 << 48) - 1
COUNTER_MAX = 0xFFFF
_NODE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_ENCODED = re.compile(r"([0-9a-f]{12})-([0-9a-f]{4})-([a-z0-9][a-z0-9-]{0,63})")


def _check_node(node: object) -> str:
    if not isinstance(node, str) or not _NODE.fullmatch(node):
        raise InvalidInput(
            f"El identificador de nodo «{node}» no es válido: use letras minúsculas, dígitos y"
            " guiones (máximo 64).",
            code="node_id_invalid",
            loc=["node_id"],
        )
    return node


@dataclass(frozen=True, order=True, slots=True)
class Timestamp:
    """One HLC stamp; orders as ``(wall_ms, counter, node)``, like its encoding."""

    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        if not 0 <= self.wall_ms <= WALL_MAX or not 0 <= self.counter <= COUNTER_MAX:
            raise InvalidInput(
                "La marca de tiempo HLC está fuera de rango.", code="hlc_invalid", loc=["hlc"]
            )
        _check_node(self.node)

    def encode(self) -> str:
        return f"{self.wall_ms:012x}-{self.counter:04x}-{self.node}"

    def __str__(self) -> str:
        return self.encode()


def encode(ts: Timestamp) -> str:
    """The sortable string form of a stamp."""
    return ts.encode()


def parse(value: object) -> Timestamp:
    """Parse an encoded stamp; ``InvalidInput`` (``hlc_invalid``) when malformed."""
    match = _ENCODED.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput(
            f"La marca de tiempo HLC «{value}» no es válida.", code="hlc_invalid", loc=["hlc"]
        )
    wall, counter, node = match.groups()
    return Timestamp(int(wall, 16), int(counter, 16), node)


def _as_ts(value: Timestamp | str) -> Timestamp:
    return value if isinstance(value, Timestamp) else parse(value)


def is_beyond(ts: Timestamp | str, reference_ms: int, max_offset_ms: int) -> bool:
    """True when ``ts`` is more than ``max_offset_ms`` ahead of ``reference_ms``.

    The hub uses it to distrust stamps from a node whose clock runs in the future.
    """
    return _as_ts(ts).wall_ms - reference_ms > max_offset_ms


class HLC:
    """A node's hybrid logical clock; thread-safe."""

    def __init__(
        self,
        node_id: str,
        clock: Clock,
        *,
        last: Timestamp | None = None,
        max_offset_ms: int | None = None,
    ) -> None:
        self.node_id = _check_node(node_id)
        self._clock = clock
        self._wall = last.wall_ms if last else -1
        self._counter = last.counter if last else 0
        self.max_offset_ms = max_offset_ms
        self._lock = threading.Lock()

    @classmethod
    def restore(
        cls,
        last_encoded: str | None,
        *,
        node_id: str,
        clock: Clock,
        max_offset_ms: int | None = None,
    ) -> HLC:
        """Resume after a restart from the last persisted stamp (``None`` for a new node)."""
        last = parse(last_encoded) if last_encoded is not None else None
        return cls(node_id, clock, last=last, max_offset_ms=max_offset_ms)

    @property
    def last(self) -> Timestamp | None:
        """The last stamp issued (or restored), ``None`` before the first one."""
        if self._wall < 0:
            return None
        return Timestamp(self._wall, self._counter, self.node_id)

    def _wall_now(self) -> int:
        return to_unix_ms(self._clock.now())

    def _issue(self, wall: int, counter: int) -> Timestamp:
        if counter > COUNTER_MAX:
            wall, counter = wall + 1, 0
        ts = Timestamp(wall, counter, self.node_id)
        self._wall, self._counter = wall, counter
        return ts

    def now(self) -> Timestamp:
        """Stamp a local or send event."""
        with self._lock:
            pt = self._wall_now()
            if pt > self._wall:
                return self._issue(pt, 0)
            return self._issue(self._wall, self._counter + 1)

    def update(self, remote: Timestamp | str) -> Timestamp:
        """Stamp the receipt of ``remote``: the result is after both it and ``last``.

        With ``max_offset_ms`` set, a remote stamp further ahead of the local wall clock is
        refused (``RuleViolation``, ``hlc_clock_skew``) and the clock is left unchanged.
        """
        rts = _as_ts(remote)
        with self._lock:
            pt = self._wall_now()
            if self.max_offset_ms is not None and is_beyond(rts, pt, self.max_offset_ms):
                raise RuleViolation(
                    f"El reloj del nodo {rts.node} está adelantado más de"
                    f" {self.max_offset_ms} ms; revise su hora.",
                    code="hlc_clock_skew",
                    loc=["hlc"],
                )
            old, wall = self._wall, max(self._wall, rts.wall_ms, pt)
            if wall == old == rts.wall_ms:
                counter = max(self._counter, rts.counter) + 1
            elif wall == old:
                counter = self._counter + 1
            elif wall == rts.wall_ms:
                counter = rts.counter + 1
            else:
                counter = 0
            return self._issue(wall, counter)


__all__ = ["COUNTER_MAX", "HLC", "Timestamp", "encode", "is_beyond", "parse"]
