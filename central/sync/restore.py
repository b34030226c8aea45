"""Hub side of a node's restore: where its outbox resumes, and the records it lost.

A node restored from a backup (DESIGN.md section 3, node identity; sync notes 3.12) re-enrols and
gets a new epoch. Its restored database may be behind what the hub already applied: the hub
holds the latest image of every record the node pushed (``sync_record``, with the ``seq`` that
produced it), so the node can take back, without new outbox rows, the records it acknowledged
beyond its restored point. The new epoch's inbox starts at the highest seq the hub holds of this
node in any epoch, so the node's outbox continues above it and no seq is ever reused.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from central.sync.models import Node
from sync.protocol import ReimportPage, ReimportRow

REIMPORT_PAGE_LIMIT = 2000


def resume_seq(*, session: Session, node_id: str, acked_seq: int) -> int:
    """The mark a new epoch of ``node_id`` starts from: the highest seq the hub applied from
    the node in any epoch; for a node the hub never heard from, the seq the node says it acked
    (its rows up to there reached the hub under a previous node registration)."""
    value = (
        session.connection()
        .execute(text("SELECT max(hwm) FROM sync_inbox WHERE node_id = :n"), {"n": node_id})
        .scalar()
    )
    held = int(value or 0)
    return held if held > 0 else acked_seq


def reimport_page(
    *, session: Session, node: Node, after_seq: int, upto: int, limit: int = REIMPORT_PAGE_LIMIT
) -> ReimportPage:
    """Latest images of the records of ``node`` whose last change has ``after_seq < seq <= upto``,
    in seq order. A page never splits one seq (the rows of one seq travel together)."""
    conn = session.connection()
    cols = "record_type, id, seq, op, hlc, payload"
    where = "sede_id = :sede AND node_id = :n AND seq > :a AND seq <= :u"
    params = {"sede": node.sede_id, "n": node.id, "a": after_seq, "u": upto}
    order = "ORDER BY seq, record_type, id"
    rows = conn.execute(
        text(f"SELECT {cols} FROM sync_record WHERE {where} {order} LIMIT :l"),
        {**params, "l": limit},
    ).all()
    has_more = len(rows) == limit
    if has_more:
        last = int(rows[-1].seq)
        rows = [r for r in rows if int(r.seq) < last] or rows
        if int(rows[-1].seq) == last:  # one seq larger than a page: send it whole
            rows = list(
                conn.execute(
                    text(
                        f"SELECT {cols} FROM sync_record WHERE {where} AND seq = :s "
                        "ORDER BY record_type, id"
                    ),
                    {**params, "s": last},
                ).all()
            )
    next_after = int(rows[-1].seq) if rows else upto
    return ReimportPage(
        rows=[
            ReimportRow(
                record_type=r.record_type,
                record_id=r.id,
                seq=int(r.seq),
                op=r.op,
                hlc=r.hlc,
                payload=r.payload,
            )
            for r in rows
        ],
        next_after=next_after,
        has_more=has_more and next_after < upto,
    )
