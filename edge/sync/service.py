"""The edge's replication loop: push the outbox, pull the hub's changes, report liveness.

- Push: unacknowledged outbox rows in ``seq`` order, cut by ``sync.client.make_batch``
  (size-bounded, never splitting a transaction); ``acked_seq`` moves only from a hub reply.
- Pull: pages after ``pull_cursor``, each applied with its new cursor in one SQLite
  transaction; at the end the hub's digests are compared and a drifted table re-snapshotted.
  Digests are a safety net, not the data path: they are asked for (and the mirrors hashed)
  only once ``digest_interval_s`` has passed since the last comparison (kept in
  ``sync_status``, so a restart neither compares at once nor never), and after every reset.
- Reception never waits on this: it runs in the worker, in short units of work.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select, update

from domain.clock import Clock, to_unix_ms
from domain.errors import Conflict, Forbidden, LabError, RuleViolation
from domain.hlc import HLC
from domain.ids import new_id
from edge.db import read_session, unit_of_work
from edge.sync import apply, digests, parking
from edge.sync.digests import local_digests, patients_settled
from edge.sync.models import SyncDeferred, SyncStatus
from sync import faultenv, outbox
from sync.client import SyncClient, make_batch, to_change
from sync.protocol import (
    MAX_BATCH_BYTES,
    MAX_BATCH_ROWS,
    MAX_CLOCK_OFFSET_MS,
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    PushBatch,
    SchemaTooNew,
    UpgradeRequired,
)

APP_VERSION = "0.1.0"
# Conditions that stop only the pull (a successful push does not clear them from the status).
PULL_ONLY_BLOCKS = frozenset({"upgrade_required", "schema_too_new"})
_STATUS = SyncStatus.__table__  # type: ignore[attr-defined]
_STATE = outbox.sync_state

# Test-only hook of the simulation, called at named points: ``edge.after_reply`` (the reply
# arrived; a crash here loses it), ``edge.mid_pull_page`` (a crash rolls the page back) and
# ``edge.after_ack`` (the simulation checks that the node never acked beyond the hub's mark).
# ``LABRED_FAULT_PAUSE`` (sync.faultenv) makes a real worker stop at a point, for kill -9.
hook: Callable[[str], None] | None = faultenv.from_env()


def _point(name: str) -> None:
    if hook is not None:
        hook(name)


def _status_row(conn: Connection) -> dict[str, Any]:
    row = conn.execute(select(_STATUS).where(_STATUS.c.id == 1)).mappings().first()
    if row is None:
        conn.execute(_STATUS.insert().values(id=1))
        row = conn.execute(select(_STATUS).where(_STATUS.c.id == 1)).mappings().one()
    return dict(row)


def _set_status(engine: Engine, **values: Any) -> None:
    with unit_of_work(engine) as session:
        conn = session.connection()
        _status_row(conn)
        incs = {k: v for k, v in values.items() if k.startswith("inc_")}
        plain = {k: v for k, v in values.items() if not k.startswith("inc_")}
        for k, v in incs.items():
            plain[k[4:]] = _STATUS.c[k[4:]] + v
        conn.execute(update(_STATUS).where(_STATUS.c.id == 1).values(**plain))


def record_failure(engine: Engine, exc: Exception, clock: Clock) -> None:
    code = exc.code if isinstance(exc, LabError) else type(exc).__name__
    blocked = (
        code
        if code
        in {
            "stale_epoch",
            "node_revoked",
            "schema_too_new",
            "upgrade_required",
            "hub_ahead",
            "seq_reused",
            "outbox_pruned",
        }
        else None
    )
    values: dict[str, Any] = {
        "last_error": str(getattr(exc, "msg", exc))[:500],
        "last_error_code": code[:40],
        "last_error_at": clock.now(),
        "inc_consecutive_failures": 1,
    }
    if blocked:
        values["blocked"] = blocked
    _set_status(engine, **values)


def _state(engine: Engine) -> dict[str, Any]:
    with read_session(engine) as session:
        return outbox.ensure_state(session.connection())


def _forward_hlc(conn: Connection, state: dict[str, Any], hub_hlc: str) -> None:
    """Take the hub's stamp into the node's HLC, unless it is further ahead of this node's
    clock than the maximum offset (a hub clock stepped ahead): adopting it would stamp every
    later change "in the future" for the hub, so none of them would be trusted for LWW. The
    offset stays visible in the status (``hub_offset_ms``)."""
    clock_hlc = HLC.restore(
        state["hlc_last"],
        node_id=state["node_id"],
        clock=outbox._clock,
        max_offset_ms=MAX_CLOCK_OFFSET_MS,
    )
    try:
        stamp = clock_hlc.update(hub_hlc)
    except RuleViolation:
        return
    conn.execute(update(_STATE).where(_STATE.c.id == 1).values(hlc_last=stamp.encode()))


def push_pending(
    engine: Engine,
    client: SyncClient,
    clock: Clock,
    *,
    max_batches: int = 1000,
    max_rows: int = MAX_BATCH_ROWS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> int:
    """Push until the outbox is acknowledged (or no progress); returns rows acknowledged."""
    acked_total = 0
    for _ in range(max_batches):
        with read_session(engine) as session:
            conn = session.connection()
            state = outbox.ensure_state(conn)
            rows = outbox.pending(conn, after_seq=state["acked_seq"], limit=max_rows)
        if not rows or state["epoch"] <= 0:
            break
        chunk = make_batch(rows, max_rows=max_rows, max_bytes=max_bytes)
        batch = PushBatch(
            protocol=PROTOCOL_VERSION,
            node_id=state["node_id"],
            epoch=state["epoch"],
            schema_version=SCHEMA_VERSION,
            app_version=APP_VERSION,
            batch_id=new_id(),
            from_seq=chunk[0]["seq"],
            to_seq=chunk[-1]["seq"],
            rows=[to_change(r) for r in chunk],
            node_hlc=state["hlc_last"],
            backlog=max(0, state["last_seq"] - chunk[-1]["seq"]),
        )
        ack = client.push(batch)
        _point("edge.after_reply")
        with unit_of_work(engine) as session:
            conn = session.connection()
            cur = outbox.ensure_state(conn)
            if ack.acked_to > cur["last_seq"]:
                raise Conflict(
                    "La central tiene más filas de este nodo que su base de datos: "
                    "re-enrole el nodo (restauración detectada).",
                    code="hub_ahead",
                )
            before = cur["acked_seq"]
            hub_ms = to_unix_ms(dt.datetime.fromisoformat(ack.hub_time))
            conn.execute(
                update(_STATE)
                .where(_STATE.c.id == 1)
                .values(
                    acked_seq=ack.acked_to,
                    hub_offset_ms=hub_ms - to_unix_ms(clock.now()),
                    updated_at=clock.now(),
                )
            )
            _forward_hlc(conn, cur, ack.hub_hlc)
            sent = {int(r["seq"]): r for r in chunk}
            refused = sorted({*ack.parked, *(d.seq for d in ack.parked_details)})
            parking.note_rejected(
                conn, seqs=refused, details=ack.parked_details, rows=sent, now=clock.now()
            )
            _status_row(conn)
            conn.execute(
                update(_STATUS)
                .where(_STATUS.c.id == 1)
                .values(
                    last_push_at=clock.now(),
                    consecutive_failures=0,
                    blocked=case(
                        (_STATUS.c.blocked.in_(PULL_ONLY_BLOCKS), _STATUS.c.blocked), else_=None
                    ),
                    pushed_rows=_STATUS.c.pushed_rows + max(0, ack.acked_to - before),
                )
            )
        _point("edge.after_ack")
        acked_total += max(0, ack.acked_to - before)
        if ack.acked_to <= before and not ack.gap:
            break
    return acked_total


def pull_changes(
    engine: Engine,
    client: SyncClient,
    clock: Clock,
    *,
    page_limit: int = 1000,
    max_pages: int = 10000,
    digest_interval_s: float = 0.0,
) -> int:
    """Pull until the hub's head; returns changes applied. The digests are asked for only when
    :func:`edge.sync.digests.due` (the worker passes edge.toml's ``sync_digest_interval_s``; 0
    here: at every pull); a reset page carries them whatever was asked, and they are compared."""
    applied = 0
    hub_digests: dict[str, str] | None = None
    with read_session(engine) as session:
        last = digests.last_compared_at(session.connection())
    want = digests.due(last, clock.now(), digest_interval_s)
    for _ in range(max_pages):
        cursor = _state(engine)["pull_cursor"]
        page = client.pull(cursor, limit=page_limit, digests=want)
        with unit_of_work(engine) as session:
            conn = session.connection()
            now = clock.now()
            if page.reset:
                apply.apply_reset(conn, page.changes, now=now)
                n = len(page.changes)
            else:
                n = apply.apply_changes(conn, page.changes, now=now)
            _point("edge.mid_pull_page")
            conn.execute(
                update(_STATE)
                .where(_STATE.c.id == 1)
                .values(pull_cursor=page.next_cursor, updated_at=now)
            )
            if page.acked_to is not None:  # the hub lost acked rows (restored): push them again
                conn.execute(
                    update(_STATE)
                    .where(_STATE.c.id == 1, _STATE.c.acked_seq > page.acked_to)
                    .values(acked_seq=page.acked_to)
                )
            _status_row(conn)
            conn.execute(
                update(_STATUS)
                .where(_STATUS.c.id == 1)
                .values(
                    last_pull_at=now,
                    pulled_changes=_STATUS.c.pulled_changes + n,
                    snapshots=_STATUS.c.snapshots + (1 if page.reset else 0),
                    consecutive_failures=0,
                    blocked=None,
                )
            )
        applied += n
        hub_digests = page.digests
        if not page.has_more:
            break
    applied += retry_parked(engine, clock)
    if hub_digests:
        applied += repair_drift(engine, client, clock, hub_digests)
    return applied


def retry_parked(engine: Engine, clock: Clock) -> int:
    """Apply the records parked by earlier pulls again (one unit of work); returns applied."""
    with read_session(engine) as session:
        if not parking.parked_types(session.connection()):
            return 0
    with unit_of_work(engine) as session:
        applied, _left = apply.retry_parked(session.connection(), now=clock.now())
    return applied


def repair_drift(
    engine: Engine, client: SyncClient, clock: Clock, hub_digests: dict[str, str]
) -> int:
    """Re-snapshot every mirrored table whose digest differs from the hub's; the comparison
    (its time and the tables repaired) is noted in ``sync_status`` once every repair is done."""
    now = clock.now()
    with read_session(engine) as session:
        conn = session.connection()
        mine = local_digests(conn)
        settled = patients_settled(conn)
        parked = parking.parked_types(conn)  # differ by the parked records: not a drift
    drifted = [
        t
        for t, d in hub_digests.items()
        if t in mine and mine[t] != d and (t != "patient" or settled) and t not in parked
    ]
    repaired = 0
    for rtype in drifted:
        snap = client.snapshot(rtype)
        with unit_of_work(engine) as session:
            conn = session.connection()
            apply.replace_table(conn, rtype, snap.rows, now=clock.now())
            _status_row(conn)
            conn.execute(
                update(_STATUS)
                .where(_STATUS.c.id == 1)
                .values(digest_repairs=_STATUS.c.digest_repairs + 1)
            )
        repaired += len(snap.rows)
    _set_status(engine, last_digest_at=now, last_digest_repaired=",".join(drifted)[:400])
    return repaired


def sync_round(
    engine: Engine, client: SyncClient, clock: Clock, *, digest_interval_s: float = 0.0
) -> None:
    """One push + pull; failures are recorded (and re-raised for the caller's backoff)."""
    try:
        push_pending(engine, client, clock)
        pull_changes(engine, client, clock, digest_interval_s=digest_interval_s)
    except (LabError, SchemaTooNew, UpgradeRequired, Forbidden) as exc:
        record_failure(engine, exc, clock)
        raise


def backlog(engine: Engine) -> int:
    state = _state(engine)
    return max(0, int(state["last_seq"]) - int(state["acked_seq"]))


def status(engine: Engine, clock: Clock) -> dict[str, Any]:
    with read_session(engine) as session:
        conn = session.connection()
        state = outbox.ensure_state(conn)
        row = conn.execute(select(_STATUS).where(_STATUS.c.id == 1)).mappings().first()
        st: dict[str, Any] = dict(row) if row else {}
        oldest = conn.execute(
            select(func.min(outbox.outbox.c.created_at)).where(
                outbox.outbox.c.seq > state["acked_seq"]
            )
        ).scalar()
        deferred = conn.execute(select(func.count()).select_from(SyncDeferred.__table__)).scalar()  # type: ignore[attr-defined]
        poison = parking.summary(conn)
    now = clock.now()
    if isinstance(oldest, str):
        oldest = dt.datetime.fromisoformat(oldest)
    return {
        "enrolled": state["epoch"] > 0,
        "node_id": state["node_id"],
        "sede_id": state["sede_id"],
        "epoch": state["epoch"],
        "hub_url": st.get("hub_url"),
        "backlog": max(0, state["last_seq"] - state["acked_seq"]),
        "last_seq": state["last_seq"],
        "acked_seq": state["acked_seq"],
        "oldest_unacked_at": oldest,
        "lag_seconds": (now - oldest).total_seconds() if oldest else 0.0,
        "pull_cursor": state["pull_cursor"],
        "hub_offset_ms": state["hub_offset_ms"],
        "last_push_at": st.get("last_push_at"),
        "last_pull_at": st.get("last_pull_at"),
        "last_error": st.get("last_error"),
        "last_error_code": st.get("last_error_code"),
        "last_error_at": st.get("last_error_at"),
        "consecutive_failures": st.get("consecutive_failures", 0),
        "blocked": st.get("blocked"),
        "deferred": int(deferred or 0),
        "digest_repairs": st.get("digest_repairs", 0),
        **digests.summary(st),
        "fence_pending": bool(st.get("fence_pending", False)),
        "use_contingency": bool(st.get("use_contingency", False)),
        **poison,
    }


def counters(engine: Engine) -> dict[str, int]:
    """Running totals of ``sync_status`` (for the Prometheus metrics)."""
    with read_session(engine) as session:
        row = session.connection().execute(select(_STATUS).where(_STATUS.c.id == 1)).mappings()
        found = row.first()
    keys = ("pushed_rows", "pulled_changes", "digest_repairs", "snapshots")
    return {k: int(found[k] or 0) if found else 0 for k in keys}


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
