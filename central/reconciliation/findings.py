"""A closure's findings as ``Discrepancy`` rows: kept idempotent by key (ids survive re-runs),
counted on the closure, and the one ``late_records`` finding of a frozen closure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from central.reconciliation.models import Closure, Discrepancy
from domain import reconciliation as rules


def finding_values(f: rules.Finding) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "severity": f.severity,
        "message": f.message,
        "record_ids": list(f.record_ids),
        "amount_cents": f.amount,
        "expected_cents": f.expected,
        "actual_cents": f.actual,
        "details": f.details,
    }


def store_findings(
    session: Session,
    closure: Closure,
    findings: list[rules.Finding],
    *,
    now: dt.datetime,
    only_keys: set[str] | None = None,
) -> None:
    """Make the closure's discrepancies exactly ``findings`` (ids kept for unchanged keys);
    with ``only_keys``, touch only discrepancies with those keys."""
    existing = {
        d.key: d
        for d in session.exec(select(Discrepancy).where(Discrepancy.closure_id == closure.id))
    }
    wanted = {f.key or f.kind: f for f in findings}
    for key, old in existing.items():
        if key not in wanted and (only_keys is None or key in only_keys):
            session.delete(old)
    for key, f in wanted.items():
        values = finding_values(f)
        row = existing.get(key)
        if row is None:
            session.add(
                Discrepancy(
                    closure_id=closure.id,
                    sede_id=closure.sede_id,
                    business_date=closure.business_date,
                    key=key,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
            session.add(row)


def count_findings(closure: Closure, findings: list[rules.Finding]) -> None:
    closure.discrepancy_count = len(findings)
    closure.critical_count = sum(1 for f in findings if f.severity == rules.CRITICAL)


def late_finding(late: list[dict[str, Any]]) -> rules.Finding:
    amount = sum(int(r["amount_cents"] or 0) for r in late if r["record_type"] == "payment")
    return rules.Finding(
        kind="late_records",
        severity=rules.WARNING,
        message=f"{len(late)} registro(s) llegaron después del cierre; figuran como ajustes "
        "tardíos (reabra el cierre para conciliarlos).",
        record_ids=tuple(f"{r['record_type']}:{r['id']}" for r in late[: rules.MAX_LISTED]),
        amount=amount,
        key="late_records",
    )
