"""The day's figures as the hub counts them, in the shape of the seal's ``figures``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.reconciliation.rows import DayData, DocumentRow


def _bucket(rows: Iterable[tuple[str, int]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for key, cents in rows:
        slot = out.setdefault(key, {"count": 0, "total_cents": 0})
        slot["count"] += 1
        slot["total_cents"] += cents
    return dict(sorted(out.items()))


def hub_figures(data: DayData) -> dict[str, Any]:
    """The day's figures as the hub counts them, in the shape of the seal's ``figures``."""
    orders = _bucket((o.status, o.total) for o in data.orders)
    payments = _bucket((p.method, p.amount) for p in data.day_payments())
    docs = data.day_documents()
    return {
        "orders": {
            "count": len(data.orders),
            "total_cents": sum(o.total for o in data.orders),
            "by_status": orders,
        },
        "payments": {
            "count": sum(v["count"] for v in payments.values()),
            "total_cents": sum(v["total_cents"] for v in payments.values()),
            "by_method": payments,
        },
        "invoices": {
            "available": True,
            "count": len(docs),
            "total_cents": sum(d.total for d in docs),
            "by_type": _bucket((d.doc_type, d.total) for d in docs),
            "by_state": _bucket((d.state, d.total) for d in docs),
        },
        "cash_sessions": {
            "count": len(data.cash_sessions),
            "open": sum(1 for s in data.cash_sessions if s.status != "cerrada"),
            "expected_cents": sum(sum(s.expected.values()) for s in data.cash_sessions),
            "counted_cents": sum(sum(s.declared.values()) for s in data.cash_sessions),
            "difference_cents": sum(s.difference for s in data.cash_sessions),
        },
        "samples": {"count": data.samples},
        "series_last": series_last(docs, data.series_floor),
    }


def series_last(docs: Iterable[DocumentRow], floor: Mapping[str, int]) -> dict[str, int]:
    """Last correlative per series at the end of the day (the next day's floor)."""
    last = dict(floor)
    for d in docs:
        last[d.series] = max(last.get(d.series, 0), d.number)
    return dict(sorted(last.items()))
