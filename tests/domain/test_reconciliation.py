"""Pure reconciliation rules (domain/reconciliation.py), table-driven."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from domain import reconciliation as r

DAY = dt.date(2026, 11, 29)
ISO = DAY.isoformat()


def order(n: int, total: int = 5000, **kw: Any) -> r.OrderRow:
    values: dict[str, Any] = {"paid": total, "balance": 0, "status": "registrada"} | kw
    return r.OrderRow(id=f"o{n}", number=f"S01-20261129-{n:04d}", total=total, **values)


def pay(n: int, amount: int = 5000, method: str = "efectivo", day: str = ISO) -> r.PaymentRow:
    return r.PaymentRow(id=f"p{n}", order_id=f"o{n}", method=method, amount=amount,
                        business_date=day)  # fmt: skip


def doc(n: int, number: int | None = None, **kw: Any) -> r.DocumentRow:
    values: dict[str, Any] = {
        "doc_type": "03",
        "series": "B001",
        "order_id": f"o{n}",
        "state": "aceptado",
        "total": 5000,
        "business_date": ISO,
    } | kw
    return r.DocumentRow(id=f"d{n}", number=number if number is not None else n, **values)


def data(**kw: Any) -> r.DayData:
    values: dict[str, Any] = {"orders": [], "payments": [], "documents": [], "cash_sessions": []}
    return r.DayData(day=DAY, **(values | kw))


def clean(n: int = 3) -> r.DayData:
    return data(
        orders=[order(i) for i in range(1, n + 1)],
        payments=[pay(i) for i in range(1, n + 1)],
        documents=[doc(i) for i in range(1, n + 1)],
    )


def test_a_clean_day_matches_its_own_seal_and_has_no_findings() -> None:
    d = clean()
    seal = r.hub_figures(d)
    assert r.reconcile(seal, d, today=DAY, cash_threshold=1000) == []
    assert r.status_for([]) == "reconciled"


def test_missing_orders_are_listed_by_their_number() -> None:
    d = clean(4)
    seal = r.hub_figures(d)
    thinner = data(orders=[d.orders[0], d.orders[3]], payments=d.payments, documents=d.documents)
    findings = {f.key: f for f in r.compare_with_seal(seal, thinner)}
    f = findings["seal_mismatch:orders.count"]
    assert f.severity == r.CRITICAL
    assert f.details["missing"] == ["S01-20261129-0002", "S01-20261129-0003"]
    assert findings["seal_mismatch:orders.total_cents"].amount == -10000


def test_a_mismatch_explained_by_changes_after_the_seal_is_a_warning() -> None:
    d = clean(2)
    seal = r.hub_figures(d)
    moved = data(
        orders=[d.orders[0], order(2, total=4000)],
        payments=d.payments,
        documents=d.documents,
        post_seal_ids=frozenset({"o2"}),
    )
    (f,) = [f for f in r.compare_with_seal(seal, moved) if f.key.startswith("seal_mismatch:")]
    assert f.severity == r.WARNING and "o2" in f.record_ids


@pytest.mark.parametrize(
    ("numbers", "floor", "missing"),
    [
        ([1, 2, 3], None, []),
        ([1, 3, 4], None, [2]),
        ([5, 6], 3, [4]),
        ([10, 14], 9, [11, 12, 13]),
    ],
)
def test_series_gaps(numbers: list[int], floor: int | None, missing: list[int]) -> None:
    docs = [doc(i, number=n) for i, n in enumerate(numbers, start=1)]
    d = data(documents=docs, series_floor={"B001": floor} if floor is not None else {})
    found = r.series_gaps(d)
    assert [n for f in found for n in f.details["missing"]] == missing


@pytest.mark.parametrize(
    ("row", "flagged"),
    [
        ({"balance": 0}, True),  # paid in full, no document
        ({"balance": 1000, "paid": 4000}, False),  # still owes: no document yet is fine
        ({"status": "anulada"}, False),
        ({"covered": 5000, "paid": 0}, False),  # all billed to the convenio
    ],
)
def test_paid_orders_without_a_document(row: dict[str, Any], flagged: bool) -> None:
    d = data(orders=[order(1, **row)], payments=[pay(1, row.get("paid", 5000))])
    assert bool(r.paid_without_document(d)) is flagged


def test_a_document_issued_the_next_day_counts() -> None:
    d = data(orders=[order(1)], documents=[doc(1, business_date="2026-11-30")])
    assert r.paid_without_document(d) == []


def test_documents_without_order() -> None:
    d = data(
        orders=[order(1)],
        documents=[doc(1), doc(2), doc(3, order_id=None), doc(4, order_id="o-old")],
        known_order_ids=frozenset({"o-old"}),
    )
    (f,) = r.documents_without_order(d)
    assert f.record_ids == ("d2", "d3")


@pytest.mark.parametrize(
    ("state", "deadline", "kind"),
    [
        ("rechazado", DAY, "document_rejected"),
        ("pendiente", DAY - dt.timedelta(days=1), "document_unsent_past_deadline"),
        ("error_red", DAY - dt.timedelta(days=1), "document_unsent_past_deadline"),
        ("pendiente", DAY, "document_deadline_today"),
        ("pendiente", DAY + dt.timedelta(days=2), None),
        ("aceptado", DAY - dt.timedelta(days=1), None),
    ],
)
def test_sunat_states(state: str, deadline: dt.date, kind: str | None) -> None:
    d = data(orders=[order(1)], documents=[doc(1, state=state, deadline=deadline)])
    assert [f.kind for f in r.sunat_problems(d, today=DAY)] == ([kind] if kind else [])


@pytest.mark.parametrize(
    ("difference", "kind", "severity"),
    [
        (0, None, None),
        (-1000, None, None),  # exactly the threshold is tolerated
        (-1001, "cash_short", r.WARNING),
        (2500, "cash_over", r.WARNING),
        (-10001, "cash_short", r.CRITICAL),
    ],
)
def test_cash_over_or_short(difference: int, kind: str | None, severity: str | None) -> None:
    s = r.CashSessionRow(id="c1", cashier_id="u1", status="cerrada",
                         expected={"efectivo": 50000},
                         declared={"efectivo": 50000 + difference},
                         difference=difference)  # fmt: skip
    found = r.cash_findings(data(cash_sessions=[s]), threshold=1000)
    assert [(f.kind, f.severity) for f in found] == ([(kind, severity)] if kind else [])


def test_per_method_totals_and_differences() -> None:
    s = r.CashSessionRow(id="c1", cashier_id="u1", status="cerrada",
                         expected={"efectivo": 10000, "tarjeta": 3000, "yape": 2000},
                         declared={"efectivo": 10000, "tarjeta": 3000, "yape": 1500},
                         difference=-500)  # fmt: skip
    d = data(orders=[order(1), order(2)],
             payments=[pay(1, 3000, "tarjeta"), pay(2, 2000, "yape")],
             cash_sessions=[s])  # fmt: skip
    totals = r.method_totals(d)
    assert totals["yape"] == {"payments_cents": 2000, "payments": 1, "expected_cents": 2000,
                              "declared_cents": 1500, "difference_cents": -500}  # fmt: skip
    assert [f.key for f in r.method_findings(d)] == ["method_difference:yape"]


def test_payments_must_add_up_to_each_orders_paid_total() -> None:
    d = data(orders=[order(1), order(2)], payments=[pay(1), pay(2, 3000), pay(9)])
    found = {f.kind: f for f in r.payment_findings(d)}
    assert found["order_payments_mismatch"].record_ids == ("o2",)
    assert found["payment_without_order"].record_ids == ("p9",)


def test_findings_are_sorted_and_keys_stable() -> None:
    d = data(orders=[order(1), order(2)], payments=[pay(1)], documents=[doc(1, number=3)])
    first = r.reconcile({}, d, today=DAY, cash_threshold=1000)
    again = r.reconcile({}, d, today=DAY, cash_threshold=1000)
    assert first == again
    ranks = [r.SEVERITY_RANK[f.severity] for f in first]
    assert ranks == sorted(ranks, reverse=True)
    assert r.status_for(first) == "with_discrepancies"
