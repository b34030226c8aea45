"""Hub side of the pull: pages of the change feed after a cursor, snapshots and digests.

A page never splits a hub transaction and only carries rows committed before the head read at
its start (cursors are allocated under a row lock, so every cursor at or below the committed
head belongs to a committed transaction). Rows scoped to another sede are skipped. A cursor of
0, below the compaction horizon, or above the head (the hub was restored) gets a full snapshot
of the latest image of every record (``reset``). The last page carries per-type digests.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.sync import digest_state, faults
from central.sync.disk import note_disk
from central.sync.models import FeedHorizon, Inbox, Node
from domain.clock import Clock
from sync import changefeed
from sync.protocol import FeedChange, NodeDisk, PullPage, SnapshotPage

_COLS = "cursor, tx_id, record_type, record_id, op, payload, schema_version"
_SCOPE = digest_state.SCOPE_SQL


def _change(row: Any) -> FeedChange:
    return FeedChange(
        cursor=int(row.cursor),
        tx_id=row.tx_id,
        record_type=row.record_type,
        record_id=row.record_id,
        op=row.op,
        payload=row.payload,
        schema_version=int(row.schema_version),
    )


def latest(
    session: Session, *, sede_id: str, upto: int, record_type: str | None = None
) -> list[FeedChange]:
    """The latest image (no deletes) of every record visible to ``sede_id`` at ``upto``."""
    where = "cursor <= :upto" + (" AND record_type = :t" if record_type else "")
    sql = (
        f"SELECT {_COLS} FROM (SELECT DISTINCT ON (record_type, record_id) {_COLS}, "
        f"scope_sede_id FROM sync_change_feed WHERE {where} "
        "ORDER BY record_type, record_id, cursor DESC) latest "
        f"WHERE op <> 'delete' AND {_SCOPE} ORDER BY cursor"
    )
    rows = (
        session.connection()
        .execute(text(sql), {"upto": upto, "t": record_type, "sede": sede_id})
        .all()
    )
    return [_change(r) for r in rows]


def digests(session: Session, *, sede_id: str, upto: int) -> dict[str, str]:
    """Per-type digests of what ``sede_id`` should hold at ``upto``: advanced from this
    process's last answer by what changed since (``central.sync.digest_state``)."""
    return digest_state.digests(session.connection(), sede_id=sede_id, upto=upto)


def _horizon(session: Session) -> int:
    row = session.get(FeedHorizon, 1)
    return row.cursor if row else 0


def pull(
    *,
    session: Session,
    node: Node,
    cursor: int,
    limit: int,
    want_digests: bool,
    clock: Clock,
    disk: NodeDisk | None = None,
) -> PullPage:
    """A page of the feed after ``cursor`` for ``node``; notes the call (and ``disk``, the
    node's disk as it stated it) on the node's row."""
    conn = session.connection()
    head = changefeed.head(conn)
    now = clock.now()
    node.last_seen_at = node.last_pull_at = now
    note_disk(node, disk, now)
    session.add(node)
    inbox = session.get(Inbox, (node.id, node.epoch))
    acked_to = inbox.hwm if inbox is not None else None
    if cursor <= 0 or cursor < _horizon(session) or cursor > head:
        node.pull_cursor = head
        return PullPage(
            changes=latest(session, sede_id=node.sede_id, upto=head),
            next_cursor=head,
            has_more=False,
            reset=True,
            digests=digests(session, sede_id=node.sede_id, upto=head),
            hub_time=now.isoformat(),
            acked_to=acked_to,
        )
    order = "created_at, cursor" if faults.is_planted("pull_by_timestamp") else "cursor"
    rows = conn.execute(
        text(
            f"SELECT {_COLS} FROM sync_change_feed WHERE cursor > :c AND cursor <= :h "
            f"AND {_SCOPE} ORDER BY {order} LIMIT :lim"
        ),
        {"c": cursor, "h": head, "sede": node.sede_id, "lim": limit},
    ).all()
    changes = [_change(r) for r in rows]
    if len(rows) == limit:
        last = changes[-1]
        rest = conn.execute(
            text(
                f"SELECT {_COLS} FROM sync_change_feed WHERE cursor > :c AND cursor <= :h "
                f"AND tx_id = :tx AND {_SCOPE} ORDER BY cursor"
            ),
            {"c": last.cursor, "h": head, "tx": last.tx_id, "sede": node.sede_id},
        ).all()
        changes.extend(_change(r) for r in rest)
        next_cursor = changes[-1].cursor
        has_more = next_cursor < head
    else:
        next_cursor, has_more = head, False
    node.pull_cursor = next_cursor
    page_digests = None
    if not has_more and want_digests:
        page_digests = digests(session, sede_id=node.sede_id, upto=next_cursor)
    return PullPage(
        changes=changes,
        next_cursor=next_cursor,
        has_more=has_more,
        reset=False,
        digests=page_digests,
        hub_time=now.isoformat(),
        acked_to=acked_to,
    )


def snapshot(*, session: Session, node: Node, record_type: str) -> SnapshotPage:
    head = changefeed.head(session.connection())
    return SnapshotPage(
        record_type=record_type,
        rows=latest(session, sede_id=node.sede_id, upto=head, record_type=record_type),
        cursor=head,
    )


def compact(*, session: Session, keep_after: int) -> int:
    """Drop feed rows at or below ``keep_after`` that a newer row of the same record at or below
    ``keep_after`` replaced; nodes whose cursor is older than the new horizon get a full
    snapshot. Returns rows removed. A record's image at any cursor from ``keep_after`` on is
    kept (the row a later change replaced stays until that change is itself compacted), so a
    compaction that does not move the horizon (a quiet day) changes no digest at or above it:
    the pull's digest states (``digest_state``) stay valid until the horizon moves."""
    result = session.connection().execute(
        text(
            "DELETE FROM sync_change_feed f WHERE f.cursor <= :k AND EXISTS (SELECT 1 FROM "
            "sync_change_feed g WHERE g.record_type = f.record_type AND g.record_id = "
            "f.record_id AND g.cursor > f.cursor AND g.cursor <= :k)"
        ),
        {"k": keep_after},
    )
    horizon = session.get(FeedHorizon, 1) or FeedHorizon(id=1, cursor=0)
    horizon.cursor = max(horizon.cursor, keep_after)
    session.add(horizon)
    return int(result.rowcount or 0)


FEED_RETENTION = dt.timedelta(days=90)


def compact_expired(
    *, session: Session, clock: Clock, retention: dt.timedelta = FEED_RETENTION
) -> int:
    """Compact the feed rows older than ``retention`` (the feed's retention: a node that has
    not pulled for longer gets a full snapshot). Returns rows removed."""
    keep_after = (
        session.connection()
        .execute(
            text("SELECT max(cursor) FROM sync_change_feed WHERE created_at < :t"),
            {"t": clock.now() - retention},
        )
        .scalar()
    )
    if keep_after is None:
        return 0
    return compact(session=session, keep_after=int(keep_after))


def retention_round(rt: HubRuntime) -> int:
    """The hub worker's daily ``sync.feed_retention`` job body, in its own unit of work."""
    with unit_of_work(rt.engine) as session:
        return compact_expired(session=session, clock=rt.clock)
