"""Read what the hub holds about a business day, for many sedes at once, as compact rows.

A handful of queries per day (not per sede), each selecting a few JSON fields of
``sync_record`` through the ``(sede_id, business_date, record_type)`` index, so reconciling
100 sedes stays within a few seconds.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from domain import reconciliation as rules

# A day seal counts while its status is "sellado" (absent in seals of older edges): a day the
# edge reopened ("reabierto") reads as unsealed, so its closure stays pending_data until the
# edge seals it again (an update of the same record, with the day's figures of then).
SEALED = "sellado"
LOOKAHEAD_DAYS = 45  # later payments/documents that may refer to the day's orders
FLOOR_LOOKBACK_DAYS = 31  # where to look for a series' last number when no closure says it


@dataclass
class Seal:
    id: str
    figures: dict[str, Any]
    last_seq: int
    node_id: str
    received_at: dt.datetime


@dataclass
class SedeDay:
    """Raw material of one sede's day: the rows plus the seq of each (post-seal detection)."""

    orders: list[rules.OrderRow] = field(default_factory=list)
    payments: list[rules.PaymentRow] = field(default_factory=list)
    documents: list[rules.DocumentRow] = field(default_factory=list)
    cash_sessions: list[rules.CashSessionRow] = field(default_factory=list)
    samples: int = 0
    seqs: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (node, seq) of day
    parked: list[str] = field(default_factory=list)
    seal: Seal | None = None
    convenio_invoices: set[str] = field(default_factory=set)  # facturas billing convenio orders


def _i(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _N(name: str) -> str:  # noqa: N802 - reads like the SQL it writes
    return f"coalesce((payload->>'{name}')::bigint, 0)"


_DATES: dict[str, dt.date | None] = {}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, str) and value in _DATES:
        return _DATES[value]
    parsed = _parse_date(value)
    if isinstance(value, str) and len(_DATES) < 10000:
        _DATES[value] = parsed
    return parsed


def _parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


class _Raw:
    """Plain DB-API fetches on the session's own connection (same transaction): 100,000-row
    results skip SQLAlchemy's Row objects, which cost more than the query itself here."""

    def __init__(self, session: Session) -> None:
        self.dbapi = session.connection().connection.dbapi_connection

    def execute(self, sql: Any, params: dict[str, Any]) -> list[Any]:
        query = re.sub(
            r"(?<!:):([a-z_]+)", r"%(\1)s", str(sql.text if hasattr(sql, "text") else sql)
        )
        assert self.dbapi is not None
        cur = self.dbapi.cursor()
        try:
            cur.execute(query, params)
            return list(cur.fetchall())
        finally:
            cur.close()


def load_days(session: Session, *, day: dt.date, sede_ids: list[str]) -> dict[str, SedeDay]:
    """Rows of ``day`` for every sede in ``sede_ids`` (later rows referring to it included)."""
    # Hundreds of thousands of small objects that all survive: the cyclic GC would walk them
    # again and again while they are built (measured: more than the queries themselves).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_days(session, day=day, sede_ids=sede_ids)
    finally:
        if enabled:
            gc.enable()


def _load_days(session: Session, *, day: dt.date, sede_ids: list[str]) -> dict[str, SedeDay]:
    conn = _Raw(session)
    iso = day.isoformat()
    until = (day + dt.timedelta(days=LOOKAHEAD_DAYS)).isoformat()
    out: dict[str, SedeDay] = {s: SedeDay() for s in sede_ids}
    params: dict[str, Any] = {"s": sede_ids, "d": iso, "u": until, "sealed": SEALED}
    base = "FROM sync_record WHERE sede_id = ANY(:s) AND op <> 'delete' AND record_type = "
    # The seal first: under READ COMMITTED each statement sees what was committed when it
    # started, so every row pushed with the seal or before it (same batch or earlier) is seen by
    # the queries below; read last, a seal could arrive with rows the earlier queries missed.
    for r in conn.execute(
        text(
            "SELECT sede_id, id, payload->'figures', payload->>'last_seq', node_id, received_at "
            f"{base}'day_seal' AND business_date = :d "
            "AND coalesce(payload->>'status', :sealed) = :sealed ORDER BY received_at"
        ),
        params,
    ):
        out[r[0]].seal = Seal(
            id=r[1], figures=dict(r[2] or {}), last_seq=_i(r[3]), node_id=r[4], received_at=r[5]
        )
    for r in conn.execute(
        text(
            "SELECT sede_id, id, payload->>'number', payload->>'status', "
            f"{_N('total')}, {_N('covered_total')}, {_N('paid_total')}, {_N('balance')}, late, "
            f"node_id, seq {base}'order' AND business_date = :d"
        ),
        params,
    ):
        day_rows = out[r[0]]
        day_rows.orders.append(
            rules.OrderRow(
                id=r[1], number=r[2] or "", status=r[3] or "", total=r[4], covered=r[5],
                paid=r[6], balance=r[7], late=r[8],
            )
        )  # fmt: skip
        day_rows.seqs[r[1]] = (r[9], int(r[10]))
    for r in conn.execute(
        text(
            "SELECT sede_id, id, payload->>'order_id', payload->>'method', "
            f"{_N('amount')}, "
            f"business_date, late, node_id, seq {base}'payment' "
            "AND business_date >= :d AND business_date <= :u"
        ),
        params,
    ):
        day_rows = out[r[0]]
        day_rows.payments.append(
            rules.PaymentRow(
                id=r[1], order_id=r[2] or "", method=r[3] or "", amount=r[4],
                business_date=r[5], late=r[6],
            )
        )  # fmt: skip
        if r[5] == iso:
            day_rows.seqs[r[1]] = (r[7], int(r[8]))
    for r in conn.execute(
        text(
            "SELECT sede_id, id, payload->>'doc_type', payload->>'series', "
            f"{_N('number')}, payload->>'order_id', payload->>'state', {_N('total')}, "
            "payload->>'deadline', "
            f"business_date, late, node_id, seq {base}'invoice' "
            "AND business_date >= :d AND business_date <= :u"
        ),
        params,
    ):
        day_rows = out[r[0]]
        day_rows.documents.append(
            rules.DocumentRow(
                id=r[1], doc_type=r[2] or "", series=r[3] or "", number=r[4],
                order_id=r[5] or None, state=r[6] or "", total=r[7], deadline=_date(r[8]),
                business_date=r[9], late=r[10],
            )
        )  # fmt: skip
        if r[9] == iso:
            day_rows.seqs[r[1]] = (r[11], int(r[12]))
    for r in conn.execute(
        text(
            f"SELECT sede_id, payload->>'invoice_id' {base}'convenio_invoice_order' "
            "AND business_date >= :d AND business_date <= :u"
        ),
        params,
    ):
        out[r[0]].convenio_invoices.add(r[1])
    for r in conn.execute(
        text(
            "SELECT sede_id, id, payload->>'cashier_id', payload->>'status', payload->'expected', "
            f"payload->'declared', payload->>'difference_cents', node_id, seq {base}'cash_session' "
            "AND business_date = :d"
        ),
        params,
    ):
        out[r[0]].cash_sessions.append(
            rules.CashSessionRow(
                id=r[1], cashier_id=r[2] or "", status=r[3] or "",
                expected={k: _i(v) for k, v in (r[4] or {}).items()},
                declared={k: _i(v) for k, v in (r[5] or {}).items()},
                difference=_i(r[6]),
            )
        )  # fmt: skip
        out[r[0]].seqs[r[1]] = (r[7], int(r[8]))
    for sede, n in conn.execute(
        text(f"SELECT sede_id, count(*) {base}'sample' AND business_date = :d GROUP BY sede_id"),
        params,
    ):
        out[sede].samples = int(n)
    for sede, rtype, rid in conn.execute(
        text(
            "SELECT n.sede_id, p.record_type, p.record_id FROM sync_parked p "
            "JOIN sync_node n ON n.id = p.node_id "
            "WHERE n.sede_id = ANY(:s) AND p.payload->>'business_date' = :d"
        ),
        params,
    ):
        out[sede].parked.append(f"{rtype}:{rid}")
    return out


def known_orders(session: Session, order_ids: set[str]) -> set[str]:
    """Which of ``order_ids`` the hub has (any sede, any day)."""
    if not order_ids:
        return set()
    rows = session.connection().execute(
        text("SELECT id FROM sync_record WHERE record_type = 'order' AND id = ANY(:ids)"),
        {"ids": sorted(order_ids)},
    )
    return {r[0] for r in rows}


def series_floors(
    session: Session, *, day: dt.date, sede_ids: list[str]
) -> dict[str, dict[str, int]]:
    """Last correlative per series before ``day``: from the sede's previous closure, else from
    the documents of the previous month."""
    conn = session.connection()
    floors: dict[str, dict[str, int]] = defaultdict(dict)
    missing = set(sede_ids)
    for sede, last in conn.execute(
        text(
            "SELECT DISTINCT ON (sede_id) sede_id, figures->'series_last' FROM recon_closure "
            "WHERE sede_id = ANY(:s) AND business_date < :d AND closed_at IS NOT NULL "
            "AND business_date >= :f ORDER BY sede_id, business_date DESC"
        ),
        {"s": sede_ids, "d": day, "f": day - dt.timedelta(days=1)},
    ):
        if isinstance(last, dict):
            floors[sede] = {k: _i(v) for k, v in last.items()}
            missing.discard(sede)
    if missing:
        for sede, series, top in conn.execute(
            text(
                "SELECT sede_id, payload->>'series', max((payload->>'number')::bigint) "
                "FROM sync_record WHERE record_type = 'invoice' AND sede_id = ANY(:s) "
                "AND business_date < :d AND business_date >= :f GROUP BY 1, 2"
            ),
            {
                "s": sorted(missing),
                "d": day.isoformat(),
                "f": (day - dt.timedelta(days=FLOOR_LOOKBACK_DAYS)).isoformat(),
            },
        ):
            floors[sede][series] = _i(top)
    return floors


def day_data(
    raw: SedeDay, *, day: dt.date, known: set[str], floor: dict[str, int]
) -> rules.DayData:
    seal = raw.seal
    post_seal: frozenset[str] = frozenset()
    if seal is not None:
        post_seal = frozenset(
            rid
            for rid, (node, seq) in raw.seqs.items()
            if node == seal.node_id and seq > seal.last_seq
        )
    return rules.DayData(
        day=day,
        orders=raw.orders,
        payments=raw.payments,
        documents=raw.documents,
        cash_sessions=raw.cash_sessions,
        samples=raw.samples,
        known_order_ids=frozenset(known),
        series_floor=floor,
        post_seal_ids=post_seal,
        parked_ids=tuple(raw.parked),
        convenio_invoice_ids=frozenset(raw.convenio_invoices),
    )


def clear_late_before(session: Session, *, day: dt.date, sede_ids: list[str]) -> None:
    """Forget the pre-closure images of ``day`` for sedes reconciled afresh (reopened)."""
    session.connection().execute(
        text("DELETE FROM recon_late_before WHERE sede_id = ANY(:s) AND business_date = :d"),
        {"s": sede_ids, "d": day},
    )


def late_rows(
    session: Session, *, day: dt.date, sede_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Per sede, business rows of the day that changed the closed day's figures after its
    closure: received after it, or flagged late by the ingest (the flag counts only while the
    closure was never reopened: a re-run after a reopen absorbs them). Updates that leave the
    day's figures as the closure counted them (a SUNAT state, an order's status) are expected
    and not listed (:func:`domain.reconciliation.changes_figures`). Sedes without a
    reconciled closure are absent."""
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT r.sede_id, r.record_type, r.id, r.op, r.received_at, "
                "coalesce(r.payload->>'total', r.payload->>'amount'), "
                "coalesce(r.payload->>'number', r.payload->>'series'), r.payload, "
                "b.id IS NOT NULL, b.before_op, b.before "
                "FROM sync_record r JOIN recon_closure c ON c.sede_id = r.sede_id "
                "AND c.business_date = :day AND c.closed_at IS NOT NULL "
                "LEFT JOIN recon_late_before b ON b.record_type = r.record_type AND b.id = r.id "
                "WHERE r.sede_id = ANY(:s) AND r.business_date = :d "
                "AND r.record_type = ANY(:types) "
                "AND ((r.late AND c.reopen_count = 0) OR r.received_at > c.closed_at) "
                "ORDER BY r.sede_id, r.received_at, r.record_type, r.id"
            ),
            {
                "s": sede_ids,
                "d": day.isoformat(),
                "day": day,
                "types": sorted(rules.FIGURE_FIELDS),
            },
        )
        .all()
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if not rules.changes_figures(
            r[1], op=r[3], payload=r[7] or {}, before_known=bool(r[8]), before_op=r[9],
            before=r[10],
        ):  # fmt: skip
            continue
        out.setdefault(r[0], []).append(
            {
                "record_type": r[1],
                "id": r[2],
                "op": r[3],
                "received_at": r[4].isoformat(),
                "amount_cents": _i(r[5]) if r[5] is not None else None,
                "reference": r[6],
            }
        )
    return out
