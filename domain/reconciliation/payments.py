"""Findings about payments: per-method declared vs expected, payments of unknown orders, orders
whose paid total disagrees with their payments."""

from __future__ import annotations

from collections import defaultdict

from domain.money import fmt_soles, from_cents
from domain.reconciliation.rows import CASH, CRITICAL, MAX_LISTED, WARNING, DayData, Finding


def method_totals(data: DayData) -> dict[str, dict[str, int]]:
    """Per payment method: the day's payments, what the closed cash sessions expected and
    what was counted or declared, and declared minus expected."""
    table: dict[str, dict[str, int]] = defaultdict(
        lambda: {"payments_cents": 0, "payments": 0, "expected_cents": 0, "declared_cents": 0}
    )
    for p in data.day_payments():
        table[p.method]["payments_cents"] += p.amount
        table[p.method]["payments"] += 1
    for s in data.cash_sessions:
        if s.status != "cerrada":
            continue
        for method, cents in s.expected.items():
            table[method]["expected_cents"] += int(cents)
        for method, cents in s.declared.items():
            table[method]["declared_cents"] += int(cents)
    for slot in table.values():
        slot["difference_cents"] = slot["declared_cents"] - slot["expected_cents"]
    return {m: table[m] for m in sorted(table)}


def method_findings(data: DayData) -> list[Finding]:
    """Non-cash methods (card, Yape, Plin, transfer) must be declared exactly as expected."""
    out = []
    for method, row in method_totals(data).items():
        if method == CASH or row["difference_cents"] == 0:
            continue
        if not row["expected_cents"] and not row["declared_cents"]:
            continue
        out.append(
            Finding(
                kind="method_difference",
                severity=WARNING,
                message=f"{method}: declarado {fmt_soles(from_cents(row['declared_cents']))}, "
                f"esperado {fmt_soles(from_cents(row['expected_cents']))}.",
                amount=row["difference_cents"],
                expected=row["expected_cents"],
                actual=row["declared_cents"],
                key=f"method_difference:{method}",
                details={"method": method},
            )
        )
    return out


def payment_findings(data: DayData) -> list[Finding]:
    """Payments of unknown orders, and orders whose paid total disagrees with their payments."""
    known = data.known_order_ids | {o.id for o in data.orders}
    orphans = [p for p in data.day_payments() if p.order_id not in known]
    paid: dict[str, int] = defaultdict(int)
    for p in data.payments:
        paid[p.order_id] += p.amount
    wrong = [o for o in data.orders if o.paid != paid.get(o.id, 0)]
    out = []
    if orphans:
        out.append(
            Finding(
                kind="payment_without_order",
                severity=CRITICAL,
                message=f"{len(orphans)} pago(s) de órdenes que la central no tiene.",
                record_ids=tuple(p.id for p in orphans[:MAX_LISTED]),
                amount=sum(p.amount for p in orphans),
                key="payment_without_order",
                details={"missing_orders": sorted({p.order_id for p in orphans})[:MAX_LISTED]},
            )
        )
    if wrong:
        out.append(
            Finding(
                kind="order_payments_mismatch",
                severity=CRITICAL,
                message=f"{len(wrong)} orden(es) cuyo monto pagado no coincide con sus pagos: "
                + ", ".join(o.number for o in wrong[:10]),
                record_ids=tuple(o.id for o in wrong[:MAX_LISTED]),
                amount=sum(paid.get(o.id, 0) - o.paid for o in wrong),
                key="order_payments_mismatch",
            )
        )
    return out
