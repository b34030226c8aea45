"""Send each closure down to its sede: the ``reconciliation_closure`` record (``SedeClosure``).

The record is rewritten only when what the sede sees changes (status, counts, the findings'
summary, the reopening), so the scheduled re-runs of an unchanged day add nothing to the change
feed. The edge mirrors it (``edge.closures``) to show that its day was reconciled and to refuse
cash adjustments or reopenings of a day the hub has closed, unless the closure is reopened.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from central.reconciliation.models import Closure, Discrepancy, SedeClosure
from domain import reconciliation as rules


def summary_of(discrepancies: list[Discrepancy]) -> list[dict[str, Any]]:
    """The findings as the sede sees them: most severe first, without amounts in detail."""
    ordered = sorted(discrepancies, key=lambda d: (-rules.SEVERITY_RANK.get(d.severity, 0), d.key))
    return [
        {
            "kind": d.kind,
            "severity": d.severity,
            "message": d.message,
            "records": len(d.record_ids or []),
        }
        for d in ordered
    ]


def values_of(closure: Closure, discrepancies: list[Discrepancy]) -> dict[str, Any]:
    return {
        "sede_id": closure.sede_id,
        "business_date": closure.business_date,
        "status": closure.status,
        "closed_at": closure.closed_at,
        "discrepancy_count": closure.discrepancy_count,
        "critical_count": closure.critical_count,
        "has_late_adjustments": closure.has_late_adjustments,
        "late_adjustment_count": len(closure.late_adjustments or []),
        "summary": summary_of(discrepancies),
        "reopen_count": closure.reopen_count,
        "reopened_at": closure.reopened_at,
        "reopened_by": closure.reopened_by,
        "reopen_reason": closure.reopen_reason,
    }


def publish(session: Session, closures: list[Closure], *, now: dt.datetime) -> int:
    """Write the sede records of ``closures`` that changed; returns how many were written.
    Call after the closures and their discrepancies are flushed."""
    if not closures:
        return 0
    ids = [c.id for c in closures]
    found: dict[str, list[Discrepancy]] = defaultdict(list)
    for d in session.exec(select(Discrepancy).where(col(Discrepancy.closure_id).in_(ids))):
        found[d.closure_id].append(d)
    existing = {
        r.id: r for r in session.exec(select(SedeClosure).where(col(SedeClosure.id).in_(ids)))
    }
    written = 0
    for closure in closures:
        values = values_of(closure, found[closure.id])
        row = existing.get(closure.id)
        if row is None:
            session.add(SedeClosure(id=closure.id, updated_at=now, **values))
            written += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(row, k, v)
            row.updated_at = now
            session.add(row)
            written += 1
    session.flush()
    return written
