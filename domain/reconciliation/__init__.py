"""Daily reconciliation rules of one sede's business day (DESIGN.md section 5): pure, no I/O.

The hub loads compact rows of the day (orders, payments, documents, cash sessions) and the day
seal's figures, and these functions say what is wrong: the hub's own counts and sums against the
seal, gaps in a series' correlatives, paid orders without a document, documents without an order,
documents rejected by SUNAT or still unsent past their deadline, cash over or short beyond the
sede's threshold, per-method declared vs expected amounts, order paid totals vs their payments.

Every amount is integer céntimos (as in every replicated row); each finding carries a stable
``kind``, a ``severity`` (info < warning < critical), a Spanish message, the ids involved and a
``key`` that is the same on every run with the same data (re-running is idempotent).

The rules live in :mod:`~domain.reconciliation.rows` (the rows, the day, a finding),
:mod:`~domain.reconciliation.figures`, :mod:`~domain.reconciliation.seal`,
:mod:`~domain.reconciliation.documents`, :mod:`~domain.reconciliation.payments` and
:mod:`~domain.reconciliation.late`; this package puts them together (:func:`reconcile`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from domain.reconciliation.documents import (
    cash_findings,
    documents_without_order,
    paid_without_document,
    series_gaps,
    sunat_problems,
)
from domain.reconciliation.figures import hub_figures, series_last
from domain.reconciliation.late import FIGURE_FIELDS, changes_figures
from domain.reconciliation.payments import method_findings, method_totals, payment_findings
from domain.reconciliation.rows import (
    CANCELLED,
    CASH,
    CRITICAL,
    CRITICAL_CASH_FACTOR,
    FINAL_STATES,
    INFO,
    INVOICE_TYPES,
    MAX_LISTED,
    REJECTED,
    SEVERITY_RANK,
    WARNING,
    CashSessionRow,
    DayData,
    DocumentRow,
    Finding,
    OrderRow,
    PaymentRow,
)
from domain.reconciliation.seal import compare_with_seal, missing_order_numbers


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
    "INFO",
    "WARNING",
    "CRITICAL",
    "SEVERITY_RANK",
    "CANCELLED",
    "INVOICE_TYPES",
    "FINAL_STATES",
    "REJECTED",
    "CASH",
    "MAX_LISTED",
    "CRITICAL_CASH_FACTOR",
    "OrderRow",
    "PaymentRow",
    "DocumentRow",
    "CashSessionRow",
    "DayData",
    "Finding",
    "FIGURE_FIELDS",
    "cash_findings",
    "changes_figures",
    "compare_with_seal",
    "documents_without_order",
    "hub_figures",
    "method_findings",
    "method_totals",
    "missing_order_numbers",
    "paid_without_document",
    "payment_findings",
    "reconcile",
    "series_gaps",
    "series_last",
    "status_for",
    "sunat_problems",
]
