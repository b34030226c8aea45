"""The page writer (batched upserts, patient checks read once per page) leaves the edge exactly
as the per-row apply did: random pages of patients and aliases, applied both ways to the same
database state, give the same patients, the same deferred rows and the same count."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import Connection, and_, delete, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from domain.clock import SystemClock
from edge.runtime import EdgeRuntime
from edge.sync import apply, mirrors
from sync import outbox
from sync.protocol import FeedChange
from tests.sync.replication_helpers import add_patient

CLOCK = SystemClock()
DOCS = ["41000001", "41000002", "41000003", "41000004"]
LOCAL = [f"0l000000-0000-7000-8000-00000000000{k}" for k in range(1, 5)]
HUB = [f"0h000000-0000-7000-8000-00000000000{k}" for k in range(1, 5)]


# ---------------------------------------------------------------- the per-row oracle
def _blocker(conn: Connection, payload: dict[str, Any]) -> str | None:
    state = outbox.ensure_state(conn)
    ob, patient = outbox.outbox, mirrors.mirrors()["patient"]
    pending = conn.execute(
        select(ob.c.seq)
        .where(
            ob.c.record_type == "patient",
            ob.c.record_id == str(payload["id"]),
            ob.c.seq > state["acked_seq"],
        )
        .limit(1)
    ).first()
    if pending is not None:
        return "unacked_local_edit"
    if payload.get("canonical_id") is None and payload.get("doc_type") != "0":
        holder = conn.execute(
            select(patient.c.id)
            .where(
                patient.c.doc_type == payload.get("doc_type"),
                patient.c.doc_number == payload.get("doc_number"),
                patient.c.canonical_id.is_(None),
                patient.c.id != str(payload["id"]),
            )
            .limit(1)
        ).first()
        if holder is not None:
            return "document_held_locally"
    return None


def _row_apply(conn: Connection, change: FeedChange, now: dt.datetime) -> bool:
    deferred = mirrors.deferred_table()
    conn.execute(
        delete(deferred).where(
            and_(
                deferred.c.record_type == change.record_type,
                deferred.c.record_id == change.record_id,
            )
        )
    )
    if change.record_type == "patient_alias":
        mirrors.apply_alias(conn, change.payload)
        return True
    reason = _blocker(conn, change.payload)
    if reason is not None:
        mirrors.defer(conn, change, reason, now)
        return False
    table = mirrors.mirrors()["patient"]
    values = mirrors.row_values(table, change.payload)
    stmt = sqlite_insert(table).values(values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.id], set_={k: stmt.excluded[k] for k in values if k != "id"}
        )
    )
    return True


def _row_page(conn: Connection, changes: list[FeedChange], now: dt.datetime) -> int:
    ordered = sorted(changes, key=lambda c: (c.record_type != "patient_alias", c.cursor))
    done = sum(1 for c in ordered if _row_apply(conn, c, now))
    table = mirrors.deferred_table()
    for row in conn.execute(select(table).order_by(table.c.cursor)).mappings().all():
        change = FeedChange(
            cursor=row["cursor"],
            tx_id="",
            record_type=row["record_type"],
            record_id=row["record_id"],
            op="upsert",
            payload=row["payload"],
            schema_version=1,
        )
        done += _row_apply(conn, change, now)
    return done


# ---------------------------------------------------------------- the comparison
def _page(rnd: random.Random, sede: str) -> list[FeedChange]:
    now = CLOCK.now().isoformat()
    changes = []
    for cursor in range(1, rnd.randint(3, 14)):
        if rnd.random() < 0.2:
            alias, canonical = rnd.choice(LOCAL + HUB), rnd.choice(HUB)
            if alias == canonical:
                continue
            payload: dict[str, Any] = {
                "id": f"al-{cursor}",
                "alias_id": alias,
                "canonical_id": canonical,
            }
            rtype = "patient_alias"
        else:
            payload = {
                "id": rnd.choice(LOCAL + HUB),
                "doc_type": "1",
                "doc_number": rnd.choice(DOCS),
                "first_names": f"N{cursor}",
                "last_names": "Q",
                "home_sede_id": sede,
                "created_at": now,
                "updated_at": now,
                "canonical_id": rnd.choice([None, None, None, HUB[0]]),
            }
            rtype = "patient"
        changes.append(
            FeedChange(
                cursor=cursor,
                tx_id="t",
                record_type=rtype,
                record_id=str(payload["id"]),
                op="upsert",
                payload=payload,
                schema_version=1,
            )
        )
    return changes


def _snapshot(conn: Connection) -> tuple[list[Any], list[Any]]:
    patients = conn.execute(
        text("SELECT id, doc_type, doc_number, canonical_id, first_names FROM patient ORDER BY id")
    ).all()
    deferred = conn.execute(
        text("SELECT record_type, record_id, cursor, reason FROM sync_deferred ORDER BY 1, 2")
    ).all()
    return [tuple(r) for r in patients], [tuple(r) for r in deferred]


@pytest.mark.parametrize("seed", range(25))
def test_a_page_applies_like_row_by_row(edge_runtime: EdgeRuntime, seed: int) -> None:
    sede = edge_runtime.sede_id
    assert sede is not None
    rnd = random.Random(seed)
    # local patients: the first with an un-acked local edit (an outbox row), the rest mirrored
    add_patient(edge_runtime.engine, CLOCK, sede_id=sede, doc=DOCS[0], patient_id=LOCAL[0])
    now = CLOCK.now()
    with edge_runtime.engine.begin() as conn:
        table = mirrors.mirrors()["patient"]
        for pid, doc in zip(LOCAL[1:], DOCS[1:], strict=True):
            if rnd.random() < 0.7:
                conn.execute(
                    table.insert().values(
                        id=pid,
                        doc_type="1",
                        doc_number=doc,
                        first_names="L",
                        last_names="Q",
                        home_sede_id=sede,
                        created_at=now,
                        updated_at=now,
                    )
                )
    page = _page(rnd, sede)
    results = []
    for way in ("rows", "page"):
        with edge_runtime.engine.connect() as conn:
            trans = conn.begin()
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            if way == "rows":
                count = _row_page(conn, page, now)
            else:
                count = apply.apply_changes(conn, page, now=now)
            results.append((count, _snapshot(conn)))
            trans.rollback()
    assert results[0] == results[1]
    assert results[1][1][0], "the page left patients"
