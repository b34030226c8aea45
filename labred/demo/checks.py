"""The demo's final checks: the invariants of DESIGN.md section 3, read straight from the
databases (the hub's PostgreSQL and each sede's SQLite), read-only; and the laboratory's: every
paid order reached its laboratory stand-in exactly once, orders whose results are all final are
"resultados listos", and the results-ready events reached the hub; and every signed XML is
also kept as its file under the sede's ``documents/`` (DESIGN.md section 4)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from domain.errors import LabError
from domain.results_promise import (
    DEFAULT_HOURS,
    SETTING_KEY,
    DeliveryHours,
    parse_delivery_hours,
    promised_at,
)
from edge.billing.files import same_bytes

# edge-owned record type -> edge table
EDGE_TABLES = {
    "order": "lab_order",
    "order_item": "order_item",
    "payment": "payment",
    "invoice": "invoice",
    "cash_session": "cash_session",
    "day_seal": "day_seal",
    "sample": "sample",
}
# hub-owned record type -> edge mirror table
MIRRORS = {
    "sede": "sede",
    "user": "user_account",
    "catalog_category": "catalog_category",
    "catalog_service": "catalog_service",
    "convenio": "convenio",
    "lab_system": "lab_system",
    "lab_code_map": "lab_code_map",
}
FINAL = ("F", "C", "X")


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        (self.passed if ok else self.failures).append(what)


def hub_conninfo(pg_dir: Path, dbname: str = "labred") -> str:
    lines = (pg_dir / "postmaster.pid").read_text().splitlines()
    return f"host={lines[4].strip()} port={lines[3].strip()} user=postgres dbname={dbname}"


def _edge(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def _ids(conn: sqlite3.Connection, table: str, where: str = "") -> set[str]:
    return {r[0] for r in conn.execute(f"SELECT id FROM {table} {where}")}


def _delivery_hours(conn: sqlite3.Connection) -> DeliveryHours:
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (SETTING_KEY,)).fetchone()
    try:
        return parse_delivery_hours(json.loads(row[0])) if row and row[0] else DEFAULT_HOURS
    except LabError:
        return DEFAULT_HOURS


def promise_check(conn: sqlite3.Connection, code: str) -> tuple[bool, str]:
    """Every sale promised its results by the rule: the longest turnaround of what it sold,
    moved into the chain's delivery hours (domain.results_promise), counted from the sale."""
    hours = _delivery_hours(conn)
    turnaround = dict(conn.execute("SELECT id, turnaround_hours FROM catalog_service"))
    sold: dict[str, list[int]] = {}
    for order_id, service_id in conn.execute("SELECT order_id, service_id FROM order_item"):
        sold.setdefault(order_id, []).append(turnaround.get(service_id, 0))
    orders = conn.execute("SELECT id, created_at, results_promised_at FROM lab_order").fetchall()
    kept = sum(
        1
        for order_id, created, promised in orders
        if promised is not None
        and dt.datetime.fromisoformat(promised)
        == promised_at(
            sold_at=dt.datetime.fromisoformat(created),
            turnaround_hours=sold.get(order_id, []),
            hours=hours,
        )
    )
    return (
        bool(orders) and kept == len(orders),
        f"{code}: every sale promised its results by the rule ({kept}/{len(orders)})",
    )


def documents_check(
    conn: sqlite3.Connection, data_dir: Path, code: str, *, wait_s: float = 10.0
) -> tuple[bool, str]:
    """Every signed XML the sede committed is also its file under ``documents/``, byte for
    byte: the worker's ``billing.copies`` job writes it within a second of the sale (waits up
    to ``wait_s`` for the last ones)."""
    rows = conn.execute(
        "SELECT i.xml_path, f.content FROM invoice i"
        " JOIN invoice_file f ON f.owner_id = i.id AND f.kind = 'xml'"
    ).fetchall()
    deadline = time.monotonic() + wait_s
    while True:
        kept = sum(1 for relpath, content in rows if same_bytes(data_dir / relpath, content))
        if kept == len(rows) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return (
        bool(rows) and kept == len(rows),
        f"{code}: every signed XML also kept as its file under documents/ ({kept}/{len(rows)})",
    )


def run_checks(*, pg_dir: Path, edges: dict[str, Path], shared_doc: str | None) -> Report:
    """``edges`` maps sede code -> edge database file."""
    rep = Report()
    with psycopg.connect(hub_conninfo(pg_dir)) as hub:
        hub_ids: dict[tuple[str, str], set[str]] = {}
        for rtype, sede_id, rid in hub.execute(
            "SELECT record_type, sede_id, id FROM sync_record WHERE op = 'upsert'"
        ):
            hub_ids.setdefault((rtype, sede_id or ""), set()).add(rid)
        feed: dict[str, set[str]] = {}
        for rtype, rid, op in hub.execute(
            "SELECT DISTINCT ON (record_type, record_id) record_type, record_id, op "
            "FROM sync_change_feed ORDER BY record_type, record_id, cursor DESC"
        ):
            if op == "upsert":
                feed.setdefault(rtype, set()).add(rid)
        dupes = hub.execute(
            "SELECT payload->>'series', payload->>'number', count(*) FROM sync_record "
            "WHERE record_type = 'invoice' GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall()
        rep.check(not dupes, f"no (series, number) twice at the hub {dupes[:3] or ''}".strip())
        hub_money = {
            (sede, day): int(total or 0)
            for sede, day, total in hub.execute(
                "SELECT sede_id, business_date, sum((payload->>'amount')::bigint) "
                "FROM sync_record WHERE record_type = 'payment' GROUP BY 1, 2"
            )
        }
        canonical_hub: set[str] = set()
        if shared_doc:
            canonical_hub = {
                r[0]
                for r in hub.execute(
                    "SELECT id FROM hub_patient WHERE doc_number = %s AND canonical_id IS NULL",
                    (shared_doc,),
                )
            }
    canonical_edges: dict[str, set[str]] = {}
    for code, path in edges.items():
        with _edge(path) as conn:
            sede_id, last_seq, acked = conn.execute(
                "SELECT sede_id, last_seq, acked_seq FROM sync_state WHERE id = 1"
            ).fetchone()
            rep.check(
                last_seq == acked, f"{code}: every outbox row acknowledged ({acked}/{last_seq})"
            )
            for rtype, table in EDGE_TABLES.items():
                local = _ids(conn, table)
                at_hub = hub_ids.get((rtype, sede_id), set())
                rep.check(
                    local == at_hub,
                    f"{code}: {rtype} exactly once at the hub "
                    f"({len(local)} here, {len(at_hub)} there)",
                )
            for rtype, table in MIRRORS.items():
                mine = _ids(conn, table)
                theirs = feed.get(rtype, set())
                rep.check(
                    theirs <= mine,
                    f"{code}: holds the hub's {rtype} rows ({len(theirs & mine)}/{len(theirs)})",
                )
            rep.check(*promise_check(conn, code))
            rep.check(*documents_check(conn, path.parent, code))
            for day, total in conn.execute(
                "SELECT business_date, sum(amount) FROM payment GROUP BY 1"
            ):
                rep.check(
                    hub_money.get((sede_id, day)) == int(total),
                    f"{code} {day}: payments sum equal at the hub",
                )
            if shared_doc:
                canonical_edges[code] = _ids(
                    conn,
                    "patient",
                    f"WHERE doc_number = '{shared_doc}' AND canonical_id IS NULL",
                )
    if shared_doc:
        distinct = {frozenset(v) for v in canonical_edges.values()}
        rep.check(
            len(canonical_hub) == 1, f"patient {shared_doc} is one canonical patient at the hub"
        )
        rep.check(
            len(distinct) == 1
            and all(len(v) == 1 for v in canonical_edges.values())
            and next(iter(distinct)) == frozenset(canonical_hub),
            f"patient {shared_doc} is the same canonical patient at every sede",
        )
    physician_check(rep, pg_dir=pg_dir, edges=edges)
    return rep


def physician_check(rep: Report, *, pg_dir: Path, edges: dict[str, Path]) -> None:
    """The hub's "Médicos solicitantes" summary (``rpt_physician_day``) counts, per CMP, the
    valid orders, urgent ones and their total that the sedes sold."""
    sold: dict[str, list[int]] = {}
    for path in edges.values():
        with _edge(path) as conn:
            for cmp, n, urgent, total in conn.execute(
                "SELECT coalesce(physician_cmp, ''), count(*), sum(priority = 'urgente'), "
                "sum(total) FROM lab_order WHERE status != 'anulada' GROUP BY 1"
            ):
                row = sold.setdefault(cmp, [0, 0, 0])
                row[0], row[1], row[2] = row[0] + n, row[1] + urgent, row[2] + total
    with psycopg.connect(hub_conninfo(pg_dir)) as hub:
        at_hub = {
            cmp: [int(n), int(urgent), int(total)]
            for cmp, n, urgent, total in hub.execute(
                "SELECT physician_cmp, sum(orders), sum(urgent_orders), sum(total_cents) "
                "FROM rpt_physician_day GROUP BY 1 HAVING sum(orders) <> 0"
            )
        }
    named = len(set(sold) - {""})
    differs = sorted(k or "-" for k in set(at_hub) | set(sold) if at_hub.get(k) != sold.get(k))
    rep.check(
        named > 0 and not differs,
        f"the hub's physicians report counts every sede's valid orders per CMP ({named} CMPs"
        f"{', differs: ' + ', '.join(differs[:3]) if differs else ''})",
    )


def edge_summary(path: Path) -> dict[str, Any]:
    with _edge(path) as conn:
        states = Counter(dict(conn.execute("SELECT state, count(*) FROM invoice GROUP BY 1")))
        orders = conn.execute(
            "SELECT count(*), coalesce(sum(total), 0) FROM lab_order WHERE status != 'anulada'"
        ).fetchone()
        try:
            results = conn.execute("SELECT count(DISTINCT order_id) FROM lab_result").fetchone()[0]
            sent = conn.execute(
                "SELECT count(DISTINCT order_id) FROM lab_job "
                "WHERE action = 'new' AND state = 'aceptado'"
            ).fetchone()[0]
            ready = conn.execute(
                "SELECT count(*) FROM lab_order WHERE status = 'resultados_listos'"
            ).fetchone()[0]
        except sqlite3.Error:
            results = sent = ready = 0
    return {
        "orders": orders[0],
        "sold_cents": orders[1],
        "documents": dict(states),
        "orders_with_results": results,
        "orders_sent_to_lab": sent,
        "orders_ready": ready,
    }


def lab_open_work(path: Path) -> dict[str, int]:
    """What the laboratory side of a sede still waits for (the demo polls it until zero)."""
    with _edge(path) as conn:
        jobs = conn.execute(
            "SELECT count(*) FROM lab_job WHERE state IN ('pendiente', 'enviado', 'error')"
        ).fetchone()[0]
        awaiting = conn.execute(
            "SELECT count(DISTINCT j.order_id) FROM lab_job j JOIN lab_order o "
            "ON o.id = j.order_id WHERE j.action = 'new' AND j.state = 'aceptado' "
            "AND o.status = 'enviada_laboratorio'"
        ).fetchone()[0]
    return {"jobs": jobs, "awaiting_results": awaiting}


def sunat_open_work(path: Path) -> dict[str, int]:
    """What SUNAT still has to answer at a sede besides its documents: resúmenes (RC / RA) to
    send or sent and unanswered, and documents whose void waits for one (the demo polls it until
    zero: the void of a boleta reported by an accepted RC goes in the next RC)."""
    with _edge(path) as conn:
        summaries = conn.execute(
            "SELECT count(*) FROM sunat_summary "
            "WHERE state IN ('pendiente', 'enviado', 'error_red')"
        ).fetchone()[0]
        voids = conn.execute(
            "SELECT count(*) FROM invoice WHERE void_requested = 1 AND state != 'anulado'"
        ).fetchone()[0]
    return {"summaries": summaries, "voids": voids}


def lab_checks(
    rep: Report, *, pg_dir: Path, edges: dict[str, Path], labs: dict[str, dict[str, Any]]
) -> None:
    """``labs`` maps sede code -> the stand-in's ``GET /_lab/state``."""
    with psycopg.connect(hub_conninfo(pg_dir)) as hub:
        ready_at_hub: dict[str, set[str]] = {}
        for sede_id, rid in hub.execute(
            "SELECT sede_id, id FROM sync_record WHERE record_type = 'results_ready'"
        ):
            ready_at_hub.setdefault(sede_id or "", set()).add(rid)
    raised = urgent = 0
    for code, path in edges.items():
        state = labs.get(code, {})
        applied: dict[str, int] = state.get("applied_new", {})
        with _edge(path) as conn:
            sede_id = conn.execute("SELECT sede_id FROM sync_state WHERE id = 1").fetchone()[0]
            paid = {
                r[0]
                for r in conn.execute(
                    "SELECT number FROM lab_order WHERE status != 'anulada' AND paid_total > 0"
                )
            }
            accepted = {
                r[0]
                for r in conn.execute(
                    "SELECT order_number FROM lab_job WHERE action = 'new' AND state = 'aceptado'"
                )
            }
            twice = sorted(n for n, c in applied.items() if c != 1)
            missing = sorted(paid - set(applied))
            rep.check(
                bool(paid) and not missing and not twice,
                f"{code}: every paid order reached its laboratory exactly once "
                f"({len(paid & set(applied))}/{len(paid)}"
                f"{', missing ' + ', '.join(missing[:3]) if missing else ''}"
                f"{', twice ' + ', '.join(twice[:3]) if twice else ''})",
            )
            rep.check(
                accepted == set(applied),
                f"{code}: the laboratory holds exactly the orders the sede's queue saw accepted "
                f"({len(set(applied))} there, {len(accepted)} here)",
            )
            urgent += _ordering_check(rep, code, conn, state.get("orders", {}), accepted)
            tests: dict[str, list[str | None]] = {}
            for order_id, status in conn.execute(
                "SELECT order_id, result_status FROM lab_order_test WHERE cancelled = 0"
            ):
                tests.setdefault(order_id, []).append(status)
            final = {o for o, st in tests.items() if st and all(x in FINAL for x in st)}
            statuses = dict(conn.execute("SELECT id, status FROM lab_order"))
            wrong = sorted(
                o for o in final if statuses.get(o) not in ("resultados_listos", "entregada")
            )
            rep.check(
                bool(final) and not wrong,
                f"{code}: orders with all results final are 'resultados listos' "
                f"({len(final) - len(wrong)}/{len(final)})",
            )
            # The events still in the outbox: housekeeping deletes the rows the hub acknowledged
            # (labred.demo.housekeeping), so the hub may hold more than the sede still shows,
            # never fewer (an event the hub never acknowledged is never deleted).
            events = {
                r[0]
                for r in conn.execute(
                    "SELECT record_id FROM sync_outbox WHERE record_type = 'results_ready'"
                )
            }
            at_hub = ready_at_hub.get(sede_id, set())
            raised += len(events | at_hub)
            rep.check(
                events <= at_hub,
                f"{code}: results-ready events reached the hub ({len(events & at_hub)}/"
                f"{len(events)} still at the sede, {len(at_hub)} at the hub)",
            )
    rep.check(raised > 0, f"results-ready events were raised for consenting patients ({raised})")
    rep.check(urgent > 0, f"urgent orders with their physician were sold and sent ({urgent})")


def _ordering_check(
    rep: Report,
    code: str,
    conn: sqlite3.Connection,
    at_lab: dict[str, dict[str, Any]],
    accepted: set[str],
) -> int:
    """Each order the laboratory accepted reached it as urgent (S) or routine (R) and with the
    physician the counter recorded (HL7 TQ1-9 and OBR-16): how many urgent ones with one."""
    sold = {
        number: ("S" if priority == "urgente" else "R", cmp or "", name or "")
        for number, priority, cmp, name in conn.execute(
            "SELECT number, priority, physician_cmp, physician_name FROM lab_order"
        )
        if number in accepted
    }
    seen = {
        number: {(t.get("priority"), t.get("physician_cmp"), t.get("physician_name"))
                 for t in order.get("tests", {}).values()}
        for number, order in at_lab.items()
    }  # fmt: skip
    wrong = sorted(n for n, want in sold.items() if seen.get(n) != {want})
    rep.check(
        bool(sold) and not wrong,
        f"{code}: the laboratory got each order's priority and ordering physician as sold "
        f"({len(sold) - len(wrong)}/{len(sold)}{', not ' + ', '.join(wrong[:3]) if wrong else ''})",
    )
    return sum(1 for p, cmp, _ in sold.values() if p == "S" and cmp)
