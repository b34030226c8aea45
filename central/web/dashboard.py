"""The dashboard's charts, from the reports service (and one sede-by-day query of its own)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from central.reports import service as reports
from central.web import charts
from domain.money import from_cents

METHOD_LABELS = {
    "efectivo": "Efectivo", "tarjeta": "Tarjeta", "yape": "Yape", "plin": "Plin",
    "transferencia": "Transferencia", "convenio": "Convenio",
}  # fmt: skip


def sales_by_sede_day(
    *, session: Session, filters: reports.Filters
) -> dict[str, dict[dt.date, Decimal]]:
    """Valid sales per sede code and business date (from the ``rpt_order_day`` projection)."""
    rows = session.connection().execute(
        text(
            "SELECT coalesce(s.code, d.sede_id), d.business_date, sum(d.total_cents) "
            "FROM rpt_order_day d LEFT JOIN sede s ON s.id = d.sede_id "
            f"WHERE {filters.where('d.business_date', 'd.sede_id')} AND d.status <> 'anulada' "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        filters.params(),
    )
    out: dict[str, dict[dt.date, Decimal]] = {}
    for code, day, cents in rows:
        out.setdefault(str(code), {})[day] = from_cents(int(cents or 0))
    return out


def days_of(filters: reports.Filters) -> list[dt.date]:
    n = (filters.date_to - filters.date_from).days + 1
    return [filters.date_from + dt.timedelta(days=i) for i in range(min(n, 62))][-62:]


def render_all(*, session: Session, filters: reports.Filters) -> dict[str, str]:
    """Every chart of the dashboard, as SVG markup keyed by chart name."""
    by_day = sales_by_sede_day(session=session, filters=filters)
    days = (
        days_of(filters)
        if (filters.date_to - filters.date_from).days < 62
        else sorted({d for s in by_day.values() for d in s})
    )
    methods = reports.payment_methods(session, filters, 20).rows
    top = reports.top_services(session, filters, 10).rows
    patients = [
        r for r in reports.patients_analysis(session, filters, 10).rows if r["segment"] == "tipo"
    ]
    months = reports.monthly_comparison(session, filters, 24).rows
    return {
        "sales_by_day": charts.stacked_days("Ventas por sede y día", days, by_day),
        "payment_methods": charts.bar_chart(
            "Medios de pago",
            [charts.Bar(METHOD_LABELS.get(r["method"], r["method"]), r["amount"]) for r in methods],
        ),
        "top_services": charts.bar_chart(
            "Exámenes más vendidos (cantidad)",
            [charts.Bar(r["name"] or r["code"], Decimal(r["quantity"]), money=False) for r in top],
        ),
        "patients": charts.column_chart(
            "Pacientes nuevos y recurrentes",
            [
                charts.Bar(str(r["label"]).capitalize(), Decimal(r["patients"]), money=False)
                for r in patients
            ],
        ),
        "monthly": charts.column_chart(
            "Ventas mes a mes", [charts.Bar(r["month"], r["sales"]) for r in months]
        ),
    }
