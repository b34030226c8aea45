"""Daily reconciliation rules of one sede's business day (DESIGN.md section 5): pure, no I/O.

The hub loads compact rows of the day (orders, payments, documents, cash sessions) and the day
seal's figures, and these functions say what is wrong: the hub's own counts and sums against the
seal, gaps in a series' correlatives, paid orders without a document, documents without an order,
documents rejected by SUNAT or still unsent past their deadline, cash over or short beyond the
sede's threshold, per-method declared vs expected amounts, order paid totals vs their payments.

Every amount is integer céntimos (as in every replicated row); each finding carries a stable
``kind``, a ``severity`` (info < warning < critical), a Spanish message, the ids involved and a
``key`` that is the same on every run with the same data (re-running is idempotent).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from domain.money import fmt, from_cents

INFO = "info"
WARNING = "warning"
CRITICAL = "critical"
SEVERITY_RANK = {INFO: 0, WARNING: 1, CRITICAL: 2}

CANCELLED = "anulada"
INVOICE_TYPES = ("01", "03")  # factura, boleta: the documents an order gets
FINAL_STATES = ("aceptado", "observado", "rechazado", "anulado")
REJECTED = "rechazado"
CASH = "efectivo"
MAX_LISTED = 200  # ids listed per finding (the count is always complete)
CRITICAL_CASH_FACTOR = 10  # a difference this many times the threshold is critical


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: str
    number: str
    status: str
    total: int
    covered: int = 0
    paid: int = 0
    balance: int = 0
    late: bool = False


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: str
    order_id: str
    method: str
    amount: int
    business_date: str
    late: bool = False


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: str
    doc_type: str
    series: str
    number: int
    order_id: str | None
    state: str
    total: int
    business_date: str
    deadline: dt.date | None = None
    late: bool = False


@dataclass(frozen=True, slots=True)
class CashSessionRow:
    id: str
    cashier_id: str
    status: str
    expected: Mapping[str, int]
    declared: Mapping[str, int]
    difference: int


@dataclass(frozen=True)
class DayData:
    """Everything the hub holds about one sede's day, plus what the rules look up around it.

    ``payments`` and ``documents`` may include rows of later days that refer to the day's
    orders (a balance paid, or its document issued, the next day); the day's own rows are those
    whose ``business_date`` is ``day``. ``known_order_ids`` are orders of any day the hub has
    among those the documents and payments refer to; ``series_floor`` is the last correlative of
    each series before the day (when known); ``post_seal_ids`` are rows changed after the seal.
    """

    day: dt.date
    orders: list[OrderRow]
    payments: list[PaymentRow]
    documents: list[DocumentRow]
    cash_sessions: list[CashSessionRow]
    samples: int = 0
    known_order_ids: frozenset[str] = frozenset()
    series_floor: Mapping[str, int] = field(default_factory=dict)
    post_seal_ids: frozenset[str] = frozenset()
    parked_ids: tuple[str, ...] = ()

    @cached_property
    def iso(self) -> str:
        return self.day.isoformat()

    @cached_property
    def _day_payments(self) -> list[PaymentRow]:
        iso = self.iso
        return [p for p in self.payments if p.business_date == iso]

    @cached_property
    def _day_documents(self) -> list[DocumentRow]:
        iso = self.iso
        return [d for d in self.documents if d.business_date == iso]

    def day_payments(self) -> list[PaymentRow]:
        return self._day_payments

    def day_documents(self) -> list[DocumentRow]:
        return self._day_documents


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    message: str
    record_ids: tuple[str, ...] = ()
    amount: int | None = None
    expected: int | None = None
    actual: int | None = None
    key: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def with_key(self) -> Finding:
        if self.key:
            return self
        return Finding(**{**self.__dict__, "key": self.kind})


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


# (section, field, label) compared with the seal; states and statuses move after the seal.
_SEAL_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("orders", "count", "órdenes"),
    ("orders", "total_cents", "monto de órdenes"),
    ("payments", "count", "pagos"),
    ("payments", "total_cents", "monto de pagos"),
    ("invoices", "count", "comprobantes"),
    ("invoices", "total_cents", "monto de comprobantes"),
    ("cash_sessions", "count", "cajas"),
    ("cash_sessions", "expected_cents", "esperado en cajas"),
    ("cash_sessions", "counted_cents", "contado en cajas"),
    ("samples", "count", "muestras"),
)


def _num(figures: Mapping[str, Any], section: str, name: str) -> int | None:
    part = figures.get(section)
    if not isinstance(part, Mapping) or part.get("available") is False:
        return None
    value = part.get(name)
    return int(value) if isinstance(value, int | float) else None


def _show(name: str, value: int) -> str:
    return f"S/ {fmt(from_cents(value))}" if name.endswith("_cents") else str(value)


def missing_order_numbers(data: DayData, sealed_count: int) -> list[str]:
    """Order numbers of the day the hub lacks: gaps in the gapless per-day sequence."""
    present: dict[int, str] = {}
    prefix = None
    for o in data.orders:
        head, _, seq = o.number.rpartition("-")
        if seq.isdigit():
            present[int(seq)] = o.number
            prefix = prefix or head
    if prefix is None:
        return []
    width = max(4, *(len(n.rpartition("-")[2]) for n in present.values()))
    top = max(sealed_count, max(present, default=0))
    return [f"{prefix}-{n:0{width}d}" for n in range(1, top + 1) if n not in present]


def compare_with_seal(
    seal: Mapping[str, Any], data: DayData, hub: Mapping[str, Any] | None = None
) -> list[Finding]:
    """The hub's counts and sums against the seal; mismatches list the ids involved."""
    hub = hub if hub is not None else hub_figures(data)
    findings: list[Finding] = []
    for section, name, label in _SEAL_CHECKS:
        expected = _num(seal, section, name)
        actual = _num(hub, section, name)
        if expected is None or actual is None or expected == actual:
            continue
        money = name.endswith("_cents")
        ids: list[str] = []
        if section == "orders":
            ids = missing_order_numbers(data, _num(seal, "orders", "count") or 0)
        if section == "payments":
            ids = sorted(
                p.id for p in data.day_payments() if p.order_id not in data.known_order_ids
            )
        ids += sorted(data.parked_ids)
        changed = sorted(data.post_seal_ids)
        explained = bool(changed) and expected != actual and not data.parked_ids
        findings.append(
            Finding(
                kind="seal_mismatch",
                severity=WARNING if explained else CRITICAL,
                message=(
                    f"El sello del día declara {_show(name, expected)} en {label} y la central "
                    f"tiene {_show(name, actual)}"
                    + (" (hubo cambios después del sello)." if explained else ".")
                ),
                record_ids=tuple((ids + changed)[:MAX_LISTED]),
                amount=actual - expected if money else None,
                expected=expected if money else None,
                actual=actual if money else None,
                key=f"seal_mismatch:{section}.{name}",
                details={"section": section, "field": name, "expected": expected,
                         "actual": actual, "missing": ids[:MAX_LISTED],
                         "changed_after_seal": changed[:MAX_LISTED]},
            )
        )  # fmt: skip
    sealed_methods = (seal.get("payments") or {}).get("by_method") or {}
    hub_methods = hub["payments"]["by_method"]
    for method in sorted(set(sealed_methods) | set(hub_methods)):
        exp = int((sealed_methods.get(method) or {}).get("total_cents", 0))
        act = int((hub_methods.get(method) or {}).get("total_cents", 0))
        if exp != act:
            findings.append(
                Finding(
                    kind="seal_method_mismatch",
                    severity=CRITICAL,
                    message=f"Pagos con {method}: el sello declara {_show('_cents', exp)} y la "
                    f"central tiene {_show('_cents', act)}.",
                    amount=act - exp,
                    expected=exp,
                    actual=act,
                    key=f"seal_method_mismatch:{method}",
                    details={"method": method},
                )
            )
    return findings


def series_gaps(data: DayData) -> list[Finding]:
    """Missing correlatives per series (from the day before's last number when known)."""
    by_series: dict[str, set[int]] = defaultdict(set)
    for d in data.day_documents():
        by_series[d.series].add(d.number)
    findings = []
    for series, numbers in sorted(by_series.items()):
        floor = data.series_floor.get(series)
        start = floor + 1 if floor is not None else min(numbers)
        missing = [n for n in range(start, max(numbers) + 1) if n not in numbers]
        if missing:
            findings.append(
                Finding(
                    kind="series_gap",
                    severity=CRITICAL,
                    message=f"Faltan {len(missing)} correlativo(s) en la serie {series}: "
                    + ", ".join(f"{series}-{n}" for n in missing[:10])
                    + ("…" if len(missing) > 10 else "."),
                    record_ids=tuple(f"{series}-{n}" for n in missing[:MAX_LISTED]),
                    key=f"series_gap:{series}",
                    details={"series": series, "missing": missing[:MAX_LISTED], "from": start},
                )
            )
    return findings


def paid_without_document(data: DayData) -> list[Finding]:
    """Orders whose patient part is paid in full and that have no factura or boleta."""
    invoiced = {d.order_id for d in data.documents if d.order_id and d.doc_type in INVOICE_TYPES}
    missing = [
        o
        for o in data.orders
        if o.status != CANCELLED
        and o.total - o.covered > 0
        and o.balance <= 0
        and o.id not in invoiced
    ]
    if not missing:
        return []
    amount = sum(o.total - o.covered for o in missing)
    return [
        Finding(
            kind="paid_without_document",
            severity=CRITICAL,
            message=f"{len(missing)} orden(es) pagada(s) sin comprobante por "
            f"S/ {fmt(from_cents(amount))}: " + ", ".join(o.number for o in missing[:10]),
            record_ids=tuple(o.id for o in missing[:MAX_LISTED]),
            amount=amount,
            key="paid_without_document",
            details={"numbers": [o.number for o in missing[:MAX_LISTED]]},
        )
    ]


def documents_without_order(data: DayData) -> list[Finding]:
    """Facturas and boletas of the day that name no order, or an order the hub does not have."""
    known = data.known_order_ids | {o.id for o in data.orders}
    orphans = [
        d
        for d in data.day_documents()
        if d.doc_type in INVOICE_TYPES and (not d.order_id or d.order_id not in known)
    ]
    if not orphans:
        return []
    return [
        Finding(
            kind="document_without_order",
            severity=CRITICAL,
            message=f"{len(orphans)} comprobante(s) sin orden: "
            + ", ".join(f"{d.series}-{d.number}" for d in orphans[:10]),
            record_ids=tuple(d.id for d in orphans[:MAX_LISTED]),
            amount=sum(d.total for d in orphans),
            key="document_without_order",
            details={"documents": [f"{d.series}-{d.number}" for d in orphans[:MAX_LISTED]],
                     "missing_orders": sorted({d.order_id for d in orphans if d.order_id})},
        )
    ]  # fmt: skip


def sunat_problems(data: DayData, *, today: dt.date) -> list[Finding]:
    """Documents rejected by SUNAT, unsent past their deadline, or due today."""
    rejected = [d for d in data.day_documents() if d.state == REJECTED]
    overdue = [
        d
        for d in data.day_documents()
        if d.state not in FINAL_STATES and d.deadline is not None and d.deadline < today
    ]
    due = [
        d
        for d in data.day_documents()
        if d.state not in FINAL_STATES and d.deadline is not None and d.deadline == today
    ]
    out = []
    for kind, severity, docs, what in (
        ("document_rejected", CRITICAL, rejected, "rechazado(s) por SUNAT"),
        ("document_unsent_past_deadline", CRITICAL, overdue, "sin enviar pasado el plazo"),
        ("document_deadline_today", WARNING, due, "sin aceptar y con plazo que vence hoy"),
    ):
        if docs:
            out.append(
                Finding(
                    kind=kind,
                    severity=severity,
                    message=f"{len(docs)} comprobante(s) {what}: "
                    + ", ".join(f"{d.series}-{d.number}" for d in docs[:10]),
                    record_ids=tuple(d.id for d in docs[:MAX_LISTED]),
                    amount=sum(d.total for d in docs),
                    key=kind,
                    details={"documents": [f"{d.series}-{d.number}" for d in docs[:MAX_LISTED]]},
                )
            )
    return out


def cash_findings(data: DayData, *, threshold: int) -> list[Finding]:
    """Sessions still open, and cash over or short beyond the sede's threshold."""
    out = []
    for s in data.cash_sessions:
        if s.status != "cerrada":
            out.append(
                Finding(
                    kind="cash_session_open",
                    severity=WARNING,
                    message="Una caja del día sigue abierta.",
                    record_ids=(s.id,),
                    key=f"cash_session_open:{s.id}",
                    details={"cashier_id": s.cashier_id},
                )
            )
            continue
        diff = s.difference
        if abs(diff) > threshold:
            over = diff > 0
            out.append(
                Finding(
                    kind="cash_over" if over else "cash_short",
                    severity=CRITICAL if abs(diff) > threshold * CRITICAL_CASH_FACTOR else WARNING,
                    message=f"Caja con {'sobrante' if over else 'faltante'} de "
                    f"S/ {fmt(from_cents(abs(diff)))} (umbral S/ {fmt(from_cents(threshold))}).",
                    record_ids=(s.id,),
                    amount=diff,
                    expected=sum(s.expected.values()),
                    actual=sum(s.declared.values()),
                    key=f"cash:{s.id}",
                    details={"cashier_id": s.cashier_id, "threshold_cents": threshold},
                )
            )
    return out


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
                message=f"{method}: declarado S/ {fmt(from_cents(row['declared_cents']))}, "
                f"esperado S/ {fmt(from_cents(row['expected_cents']))}.",
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


def reconcile(
    seal: Mapping[str, Any],
    data: DayData,
    *,
    today: dt.date,
    cash_threshold: int,
    hub: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Every finding of the day, most severe first (stable order); ``hub`` is
    ``hub_figures(data)`` when the caller already has it."""
    findings = [
        *compare_with_seal(seal, data, hub),
        *series_gaps(data),
        *paid_without_document(data),
        *documents_without_order(data),
        *sunat_problems(data, today=today),
        *cash_findings(data, threshold=cash_threshold),
        *method_findings(data),
        *payment_findings(data),
    ]
    return sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], f.key))


def status_for(findings: Iterable[Finding]) -> str:
    """``with_discrepancies`` when any finding is a warning or worse, else ``reconciled``."""
    worst = max((SEVERITY_RANK[f.severity] for f in findings), default=0)
    return "with_discrepancies" if worst >= SEVERITY_RANK[WARNING] else "reconciled"


__all__ = [
    "CRITICAL",
    "INFO",
    "WARNING",
    "CashSessionRow",
    "DayData",
    "DocumentRow",
    "Finding",
    "OrderRow",
    "PaymentRow",
    "compare_with_seal",
    "hub_figures",
    "method_totals",
    "reconcile",
    "series_gaps",
    "status_for",
]
