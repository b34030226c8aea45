"""Consolidated reports over every sede (aggregates only: Ley 29733).

The dashboard and most reports read the summary tables (:mod:`central.reports.models`), kept by
the triggers of migrations 0002 and 0007, so they answer in milliseconds whatever the size of
``sync_record`` (patients analysis and the new vs recurring split read ``rpt_patient_day``);
only turnaround reads the raw rows of the period. Supervisors
see only their sedes (``Filters.sede_ids``).

The pieces live in :mod:`~central.reports.filters` (period, sedes, table shape),
:mod:`~central.reports.dashboard`, :mod:`~central.reports.sales_tables`,
:mod:`~central.reports.staff_tables`, :mod:`~central.reports.patient_tables`,
:mod:`~central.reports.physician_tables` and
:mod:`~central.reports.raw_tables`; this module is the
registry of report names and the entry point callers use.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlmodel import Session

from central.reports import projections
from central.reports.dashboard import dashboard
from central.reports.filters import MAX_DAYS, Column, Filters, Table, filters_for, today_of
from central.reports.patient_tables import patient_split, patients_analysis
from central.reports.physician_tables import physicians
from central.reports.raw_tables import turnaround
from central.reports.sales_tables import (
    monthly_comparison,
    orders,
    payment_methods,
    sales,
    top_services,
)
from central.reports.staff_tables import (
    cancellations,
    cash_differences,
    convenio_sales,
    discounts,
    sunat_states,
)
from domain.errors import InvalidInput

REPORTS: dict[str, Callable[[Session, Filters, int], Table]] = {
    "orders": orders,
    "sales": sales,
    "top-services": top_services,
    "payment-methods": payment_methods,
    "patients-analysis": patients_analysis,
    "monthly-comparison": monthly_comparison,
    "discounts": discounts,
    "cancellations": cancellations,
    "cash-differences": cash_differences,
    "convenio-sales": convenio_sales,
    "turnaround": turnaround,
    "sunat-states": sunat_states,
    "physicians": physicians,
}


def run(*, session: Session, report: str, filters: Filters, limit: int = 10) -> Table:
    fn = REPORTS.get(report)
    if fn is None:
        raise InvalidInput(
            f"Reporte desconocido: «{report}».", code="report_unknown", loc=["body", "report"]
        )
    return fn(session, filters, limit)


def rebuild(*, session: Session) -> None:
    """Recompute every summary table from the raw rows (recovery; benchmarks)."""
    for stmt in projections.rebuild_sql():
        session.connection().execute(text(stmt))


__all__ = [
    "MAX_DAYS",
    "REPORTS",
    "Column",
    "Filters",
    "Table",
    "cancellations",
    "cash_differences",
    "convenio_sales",
    "dashboard",
    "discounts",
    "filters_for",
    "monthly_comparison",
    "orders",
    "patient_split",
    "patients_analysis",
    "payment_methods",
    "physicians",
    "rebuild",
    "run",
    "sales",
    "sunat_states",
    "today_of",
    "top_services",
    "turnaround",
]
