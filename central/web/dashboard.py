"""The dashboard's charts, from the reports service (and one sede-by-day query of its own)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from central.config.sede_order import sede_code_sql
from central.reports import service as reports
from central.web import charts
from domain.cash import method_label
from domain.clock import business_date
from domain.money import from_cents


def sales_by_sede_day(
    *, session: Session, filters: reports.Filters
) -> dict[str, dict[dt.date, Decimal]]:
    """Valid sales per sede code and business date (from the ``rpt_order_day`` projection)."""
    rows = session.connection().execute(
        text(
            "SELECT coalesce(s.code, d.sede_id), d.business_date, sum(d.total_cents) "
            "FROM rpt_order_day d LEFT JOIN sede s ON s.id = d.sede_id "
            f"WHERE {filters.where('d.business_date', 'd.sede_id')} AND d.status <> 'anulada' "
            f"GROUP BY 1, 2 ORDER BY {sede_code_sql('coalesce(s.code, d.sede_id)')}, 2"
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


def months_of(filters: reports.Filters) -> reports.Filters:
    """The month-by-month chart's period: whole months, the twelve up to the period's end (or
    from the first month of a longer period), so no month shows only the days of it that fall
    in the filter (a 30-day period cut the previous month to a day or two)."""
    end = filters.date_to
    year, month = end.year, end.month - 11
    if month <= 0:
        year, month = year - 1, month + 12
    start = min(dt.date(year, month, 1), filters.date_from.replace(day=1))
    return dataclasses.replace(filters, date_from=start)


MONTHS = ("ene.", "feb.", "mar.", "abr.", "may.", "jun.",
          "jul.", "ago.", "set.", "oct.", "nov.", "dic.")  # fmt: skip


def month_bars(rows: list[dict[str, object]]) -> list[charts.Bar]:
    """One column per month from the first with sales to the last, a month without sales at
    S/ 0.00 (skipping it put September next to November as if they were consecutive), named
    as people say it ("nov. 2026"); ``data-label`` keeps the ISO month."""
    sales = {str(r["month"]): Decimal(str(r["sales"])) for r in rows}
    if not sales:
        return []
    year, month = (int(part) for part in min(sales).split("-"))
    out: list[charts.Bar] = []
    while (key := f"{year:04d}-{month:02d}") <= max(sales):
        out.append(charts.Bar(key, sales.get(key, Decimal(0)), shown=f"{MONTHS[month - 1]} {year}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def service_bars(rows: list[dict[str, object]]) -> list[charts.Bar]:
    """One bar per service, named as the catalog names it; two services of one name (a test
    and its replacement under another code) are told apart by their codes."""
    names = [str(r["name"] or r["code"]) for r in rows]
    bars: list[charts.Bar] = []
    for r, name in zip(rows, names, strict=True):
        label = f"{name} ({r['code']})" if names.count(name) > 1 and r["name"] else name
        bars.append(charts.Bar(label, Decimal(str(r["quantity"])), money=False))
    return bars


def patients_split(*, session: Session, filters: reports.Filters) -> dict[str, int]:
    """Distinct patients with valid orders in the period: ``nuevo`` (first order in it) and
    ``recurrente`` (from the ``rpt_patient_day`` projection: milliseconds, no cache)."""
    return reports.patient_split(session=session, filters=filters)


def patients_chart(
    *, session: Session, filters: reports.Filters, split: dict[str, int] | None = None
) -> str:
    if split is None:
        split = patients_split(session=session, filters=filters)
    return charts.column_chart(
        "Pacientes nuevos y recurrentes",
        [
            charts.Bar(label.capitalize(), Decimal(n), money=False)
            for label, n in sorted(split.items())
            if n
        ],
    )


def render_all(
    *,
    session: Session,
    filters: reports.Filters,
    now: dt.datetime,
    part: str = "all",
    split: dict[str, int] | None = None,
) -> dict[str, str]:
    """The dashboard's charts as SVG keyed by name: ``part`` ``main`` (all but the patients
    chart, which is then ""), ``patients`` (only it) or ``all``; ``split`` is the patients'
    split when the caller already has it."""
    out = dict.fromkeys(CHART_NAMES, "")
    if part in ("all", "patients"):
        out["patients"] = patients_chart(session=session, filters=filters, split=split)
    if part == "patients":
        return out
    by_day = sales_by_sede_day(session=session, filters=filters)
    days = (
        days_of(filters)
        if (filters.date_to - filters.date_from).days < 62
        else sorted({d for s in by_day.values() for d in s})
    )
    methods = reports.payment_methods(session, filters, 20).rows
    top = reports.top_services(session, filters, 10).rows
    months = reports.monthly_comparison(session, months_of(filters), 25).rows
    return out | {
        "sales_by_day": charts.stacked_days(
            "Ventas por sede y día", days, by_day, year=business_date(now).year
        ),
        "payment_methods": charts.bar_chart(
            "Medios de pago",
            [charts.Bar(method_label(r["method"]), r["amount"]) for r in methods],
        ),
        "top_services": charts.bar_chart(
            "Exámenes más vendidos (cantidad)",
            service_bars(top),
        ),
        "monthly": charts.column_chart(
            "Ventas mes a mes (meses completos)",
            month_bars(months),
        ),
    }


CHART_NAMES = ("sales_by_day", "payment_methods", "top_services", "patients", "monthly")
