"""The pull's per-type digests, advanced from cursor to cursor instead of recomputed.

A type's digest (``sync.digest``) is a count and a sum of one hash per record, so it is
additive. Each process keeps, per database, one state at a cursor U: per (record_type,
scope_sede_id) bucket the count and hash sum of the latest image (not a delete) of every record
at U. A sede's digest of a type is the chain-wide bucket (scope NULL: every patient) plus its
own, so the chain-wide records are summed once per process, not once per sede and cursor.

To answer for another cursor V the records changed between U and V (either way: a concurrent
pull may ask for an older head) are read in one streamed query with their images at both
cursors; each one's image at U leaves its scope's bucket and its image at V enters its (maybe
new) scope's bucket. The state is rebuilt from the whole feed (streamed, one type at a time)
when there is none, when the compaction horizon moved since it was built, when it no longer
matches the database (the feed's last row at or below U is not the one it saw: a restored or
replaced database) or when the window spans more rows than a fraction of the live records.

A cursor above the committed head (rows there may not be committed yet) or below the horizon
(compacted: a pull never asks for one) is answered by :func:`full_digests` and never kept.
One lock per process serialises the states: a rebuild is done once, not by every waiting pull,
and SELECTs never wait on row locks, so holding it across the queries cannot deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from sync.digest import PROJECTIONS, digest_text, fold, row_hash, table_digest

CHUNK = 500  # payloads fetched at a time: memory stays flat whatever the hub holds
MIN_WINDOW = 256  # a window of at most this many feed rows is always advanced
FULL_FRACTION = 0.25  # a window of more rows than this share of the live records is rebuilt
MAX_STATES = 16  # databases kept per process (tests open many; a hub has one)

Bucket = tuple[str, str | None]  # (record_type, scope_sede_id)

_TYPES = list(PROJECTIONS)
SCOPE_SQL = "(scope_sede_id IS NULL OR scope_sede_id = :sede)"  # visible to one sede
# Per type, the latest image of each record visible to one sede: the reference computation.
_SEDE_SQL = text(
    "SELECT payload FROM (SELECT DISTINCT ON (record_id) payload, op, scope_sede_id "
    "FROM sync_change_feed WHERE cursor <= :upto AND record_type = :t "
    f"ORDER BY record_id, cursor DESC) latest WHERE op <> 'delete' AND {SCOPE_SQL}"
)
# Per type, the latest image of each record with its scope: a state's rebuild.
_ALL_SQL = text(
    "SELECT scope_sede_id, payload FROM (SELECT DISTINCT ON (record_id) payload, op, "
    "scope_sede_id FROM sync_change_feed WHERE cursor <= :upto AND record_type = :t "
    "ORDER BY record_id, cursor DESC) latest WHERE op <> 'delete'"
)
_IMAGE_AT = (
    "LEFT JOIN LATERAL (SELECT op, payload, scope_sede_id FROM sync_change_feed f "
    "WHERE f.record_type = c.record_type AND f.record_id = c.record_id AND f.cursor <= :{at} "
    "ORDER BY f.cursor DESC LIMIT 1) {alias} ON true"
)
# The records changed in (lo, hi] with their images at lo (a_) and at hi (b_).
_WINDOW_SQL = text(
    "SELECT c.record_type, a.op AS a_op, a.scope_sede_id AS a_scope, a.payload AS a_payload, "
    "b.op AS b_op, b.scope_sede_id AS b_scope, b.payload AS b_payload "
    "FROM (SELECT DISTINCT record_type, record_id FROM sync_change_feed "
    "WHERE cursor > :lo AND cursor <= :hi AND record_type = ANY(:types)) c "
    + _IMAGE_AT.format(at="lo", alias="a")
    + " "
    + _IMAGE_AT.format(at="hi", alias="b")
)
_LAST_TX = "(SELECT tx_id FROM sync_change_feed WHERE cursor <= :{at} ORDER BY cursor DESC LIMIT 1)"
# One round trip: the horizon, the committed head and the feed's last row at U and at V.
_PROBE_SQL = text(
    "SELECT (SELECT cursor FROM sync_feed_horizon WHERE id = 1), "
    "(SELECT value FROM sync_feed_counter WHERE id = 1), "
    f"{_LAST_TX.format(at='u')}, {_LAST_TX.format(at='v')}"
)


@dataclass(frozen=True)
class DigestState:
    """Bucket sums of the latest images at ``cursor``, built under compaction ``horizon``;
    ``mark`` is the tx_id of the feed's last row at or below ``cursor``."""

    horizon: int
    cursor: int
    mark: str | None
    buckets: dict[Bucket, tuple[int, int]]

    def live(self) -> int:
        return sum(count for count, _ in self.buckets.values())

    def answer(self, sede_id: str) -> dict[str, str]:
        out = {}
        for rtype in PROJECTIONS:
            count, total = self.buckets.get((rtype, None), (0, 0))
            own_count, own_total = self.buckets.get((rtype, sede_id), (0, 0))
            out[rtype] = digest_text(count + own_count, total + own_total)
        return out


_LOCK = threading.Lock()
_STATES: dict[str, DigestState] = {}
stats = {"rebuilt": 0, "advanced": 0, "unkept": 0}  # how answers were made (tests, metrics)


def reset() -> None:
    """Forget every state (the next answer rebuilds)."""
    with _LOCK:
        _STATES.clear()


def full_digests(conn: Connection, *, sede_id: str, upto: int) -> dict[str, str]:
    """The digests computed from scratch for one sede (the reference; streamed per type)."""
    result = {}
    for rtype in PROJECTIONS:
        rows = conn.execute(
            _SEDE_SQL,
            {"upto": upto, "t": rtype, "sede": sede_id},
            execution_options={"yield_per": CHUNK},  # this statement only
        )
        result[rtype] = table_digest(rtype, (payload for (payload,) in rows))
    return result


def _add(
    buckets: dict[Bucket, tuple[int, int]],
    rtype: str,
    scope: str | None,
    payload: Any,
    sign: int,
) -> None:
    count, total = buckets.get((rtype, scope), (0, 0))
    buckets[(rtype, scope)] = (count + sign, fold(total, row_hash(rtype, payload), sign))


def _rebuild(conn: Connection, *, horizon: int, upto: int, mark: str | None) -> DigestState:
    buckets: dict[Bucket, tuple[int, int]] = {}
    for rtype in PROJECTIONS:
        rows = conn.execute(
            _ALL_SQL, {"upto": upto, "t": rtype}, execution_options={"yield_per": CHUNK}
        )
        for scope, payload in rows:
            _add(buckets, rtype, scope, payload, 1)
    stats["rebuilt"] += 1
    return DigestState(horizon=horizon, cursor=upto, mark=mark, buckets=buckets)


def _advance(conn: Connection, state: DigestState, upto: int, mark: str | None) -> DigestState:
    """``state`` moved to ``upto`` through the records changed in between (a copy: a failure
    half way leaves the kept state as it was)."""
    lo, hi = sorted((state.cursor, upto))
    forward = upto > state.cursor
    buckets = dict(state.buckets)
    rows: Iterable[Any] = conn.execute(
        _WINDOW_SQL,
        {"lo": lo, "hi": hi, "types": _TYPES},
        execution_options={"yield_per": CHUNK},
    )
    for row in rows:
        at_lo = (row.a_op, row.a_scope, row.a_payload)
        at_hi = (row.b_op, row.b_scope, row.b_payload)
        old, new = (at_lo, at_hi) if forward else (at_hi, at_lo)
        for (op, scope, payload), sign in ((old, -1), (new, 1)):
            if op is not None and op != "delete":
                _add(buckets, row.record_type, scope, payload, sign)
    stats["advanced"] += 1
    return DigestState(horizon=state.horizon, cursor=upto, mark=mark, buckets=buckets)


def _too_wide(state: DigestState, upto: int) -> bool:
    span = abs(upto - state.cursor)  # cursors are dense: at least the rows in the window
    return span > max(MIN_WINDOW, FULL_FRACTION * state.live())


def digests(conn: Connection, *, sede_id: str, upto: int) -> dict[str, str]:
    """Per-type digests of the latest images ``sede_id`` should hold at ``upto``: equal to
    :func:`full_digests`, at the cost of what changed since the process's last answer."""
    key = conn.engine.url.render_as_string(hide_password=True)
    with _LOCK:
        state = _STATES.get(key)
        horizon, head, mark_u, mark_v = conn.execute(
            _PROBE_SQL, {"u": state.cursor if state else upto, "v": upto}
        ).one()
        horizon, head = int(horizon or 0), int(head or 0)
        if upto > head or upto < horizon:
            stats["unkept"] += 1
            return full_digests(conn, sede_id=sede_id, upto=upto)
        if state is not None and (
            state.horizon != horizon or state.cursor > head or state.mark != mark_u
        ):
            state = None  # compacted since, or another database behind the same address
        if state is None or _too_wide(state, upto):
            state = _rebuild(conn, horizon=horizon, upto=upto, mark=mark_v)
        elif state.cursor != upto:
            state = _advance(conn, state, upto, mark_v)
        _STATES.pop(key, None)
        while len(_STATES) >= MAX_STATES:
            del _STATES[next(iter(_STATES))]
        _STATES[key] = state
        return state.answer(sede_id)
