"""The ledger of the business day (tests/e2e/test_business_day.py): what the counter did, and
the figures it implies, computed from the actions, never read back from the system."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.day_processes import dump

D = Decimal
FLOAT, EXPENSE, SHORT, THRESHOLD = D("200.00"), D("20.00"), D("5.00"), D("2.00")
RUC = ("20131312955", "SUPERINTENDENCIA NACIONAL DE ADUANAS")
CONSENTED, UNCONSENTED = "ana.torres@example.pe", "bruno.diaz@example.pe"


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def ok(r: httpx.Response, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), f"{r.request.method} {r.request.url}: {r.text}"
    return r.json()


class Book:
    """What the counter did, and the figures it implies."""

    def __init__(self, prices: dict[str, Decimal], tubes: dict[str, tuple[str, str]]) -> None:
        self.prices, self.tubes = prices, tubes
        self.orders: dict[str, dict[str, Any]] = {}  # label -> expected order
        self.payments: list[tuple[str, Decimal]] = []
        self.documents: list[tuple[str, str, Decimal]] = []  # (type, expected state, total)
        self.extra_samples = 0
        self.ids: dict[str, str] = {}  # label -> order id ("session": the cash session)
        self.numbers: dict[str, str] = {}  # label -> order number
        self.document_of: dict[str, str] = {}  # label -> its boleta / factura (series-number)
        self.seal: dict[str, Any] = {}

    def order(
        self,
        label: str,
        codes: list[str],
        *,
        discount: Decimal = D(0),
        covered: Decimal = D(0),
        prices: dict[str, Decimal] | None = None,
    ) -> dict[str, Any]:
        unit = {c: (prices or {}).get(c, self.prices[c]) for c in codes}
        subtotal = sum(unit.values(), D(0))
        total = subtotal - discount
        exp = {
            "subtotal": subtotal,
            "discount": discount,
            "total": total,
            "covered": covered,
            "codes": codes,
            "status": "registrada",
            "paid": D(0),
        }
        self.orders[label] = exp
        return exp

    def pay(self, label: str, method: str, amount: Decimal) -> None:
        self.payments.append((method, amount))
        self.orders[label]["paid"] += amount

    def tubes_of(self, label: str) -> int:
        return len({self.tubes[c] for c in self.orders[label]["codes"]})

    def by_method(self) -> dict[str, tuple[int, Decimal]]:
        out: dict[str, tuple[int, Decimal]] = {}
        for method, amount in self.payments:
            n, total = out.get(method, (0, D(0)))
            out[method] = (n + 1, total + amount)
        return out


def assert_figures(book: Book, f: dict[str, Any], cash_expected: Decimal) -> None:
    orders = book.orders.values()
    statuses: dict[str, dict[str, int]] = {}
    for o in orders:
        s = statuses.setdefault(o["status"], {"count": 0, "total_cents": 0})
        s["count"] += 1
        s["total_cents"] += cents(o["total"])
    assert f["orders"] == {
        "count": len(book.orders),
        "by_status": statuses,
        "total_cents": sum(cents(o["total"]) for o in orders),
    }, dump(f)
    methods = book.by_method()
    assert f["payments"]["count"] == len(book.payments)
    assert f["payments"]["total_cents"] == sum(cents(a) for _, a in book.payments)
    assert f["payments"]["by_method"] == {
        m: {"count": n, "total_cents": cents(t)} for m, (n, t) in methods.items()
    }
    inv = f["invoices"]
    assert inv["count"] == len(book.documents)
    by_type: dict[str, dict[str, int]] = {}
    by_state: dict[str, dict[str, int]] = {}
    for doc_type, state, total in book.documents:
        for key, group in ((doc_type, by_type), (state, by_state)):
            g = group.setdefault(key, {"count": 0, "total_cents": 0})
            g["count"] += 1
            g["total_cents"] += cents(total)
    assert inv["by_type"] == by_type, dump(inv)
    assert inv["by_state"] == by_state, dump(inv)
    non_cash = sum((t for m, (_, t) in methods.items() if m != "efectivo"), D(0))
    assert f["cash_sessions"]["count"] == 1 and f["cash_sessions"]["open"] == 0
    assert f["cash_sessions"]["expected_cents"] == cents(cash_expected + non_cash), dump(f)
    assert f["cash_sessions"]["counted_cents"] == cents(cash_expected + non_cash - SHORT)
    assert f["cash_sessions"]["difference_cents"] == -cents(SHORT)
    samples = sum(book.tubes_of(k) for k in book.orders) + book.extra_samples
    assert f["samples"]["count"] == samples, dump(f)
