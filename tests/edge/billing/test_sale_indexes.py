"""The indexes edge migration 0010 changed still serve the queries that need them (captured
from the code and run by SQLite with ``INDEXED BY``, which fails when the index cannot serve
the statement), the partial ones hold only the rows that have the column, and the dropped
ones are gone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from edge.billing import sender, service
from edge.db import read_session
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import Sim
from tests.edge.billing.helpers import issue
from tests.edge.sql_capture import executed_with_params


def _plan(rt: EdgeRuntime, run: Callable[[Session], Any], table: str, index: str) -> str:
    """SQLite's plan of the statement ``run`` sends about ``table``, made to use ``index``
    (SQLite refuses a statement the index cannot serve: "no query solution")."""
    with executed_with_params(rt.engine) as sent, read_session(rt.engine) as session:
        run(session)
    seen = [(statement, params) for statement, params in sent if f"FROM {table}" in statement]
    ((statement, params),) = seen
    statement = statement.replace(f"FROM {table}", f"FROM {table} INDEXED BY {index}", 1)
    with rt.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
    return " | ".join(str(r[-1]) for r in rows)


def test_the_sender_finds_its_due_documents_by_the_partial_index(rt: EdgeRuntime) -> None:
    now = dt.datetime(2026, 11, 30, 15, tzinfo=dt.UTC)
    plan = _plan(rt, lambda s: sender.due_ids(s, now, 50), "invoice", "ix_invoice_next_attempt_at")
    assert (
        "USING INDEX ix_invoice_next_attempt_at (next_attempt_at>? AND next_attempt_at<?)" in plan
    )


def test_a_documents_notes_are_found_by_the_partial_index(rt: EdgeRuntime) -> None:
    plan = _plan(
        rt,
        lambda s: service.credited_total(s, "inv-1"),
        "invoice",
        "ix_invoice_reference_invoice_id",
    )
    assert "USING INDEX ix_invoice_reference_invoice_id (reference_invoice_id=?)" in plan, plan


def _entries(rt: EdgeRuntime) -> dict[str, int]:
    """The entries each partial index holds (cells of its leaf pages)."""
    names = ("ix_invoice_reference_invoice_id", "ix_invoice_next_attempt_at")
    with rt.engine.connect() as conn:
        return {
            name: conn.execute(
                text("SELECT coalesce(sum(ncell), 0) FROM dbstat WHERE name = :n"
                     " AND pagetype = 'leaf'"), {"n": name}
            ).scalar_one()
            for name in names
        }  # fmt: skip


def test_the_partial_indexes_hold_the_queue_and_the_notes_only(
    rt: EdgeRuntime, make_order: Callable[..., Order], sim: Sim
) -> None:
    issue(rt, make_order())  # a sale's boleta: in the queue, referencing nothing
    assert _entries(rt) == {"ix_invoice_reference_invoice_id": 0, "ix_invoice_next_attempt_at": 1}
    report = sender.send_round(rt, client=sim.client())
    assert report.sent == 1
    assert _entries(rt) == {"ix_invoice_reference_invoice_id": 0, "ix_invoice_next_attempt_at": 0}
    with rt.engine.connect() as conn:
        (indexes,) = conn.execute(
            text(
                "SELECT group_concat(name) FROM sqlite_master WHERE type = 'index'"
                " AND name IN ('ix_invoice_sede_id', 'ix_lab_order_sede_id',"
                " 'ix_lab_job_sede_id', 'ix_lab_job_lab_system_id', 'ix_invoice_file_owner_id')"
            )
        ).one()
    assert indexes is None  # dropped
