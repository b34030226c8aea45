"""The dashboard's charts, from the reports service (and one sede-by-day query of its own)."""

from __future__ import annotations

import datetime as dt
import threading
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


# New vs recurring patients need the distinct patients of the period, which only the raw order
# rows hold (no summary table has them): about 0.5 s over a month of a 20-sede chain. The
# figures are cached per filter for a few minutes, and the page asks for this chart apart
# (``part=patients``) so the rest of the dashboard does not wait for it.
PATIENTS_TTL = dt.timedelta(minutes=10)
_PATIENTS_CACHE: dict[tuple[str, ...], tuple[dt.datetime, dict[str, int]]] = {}
_PATIENTS_LOCK = threading.Lock()


def patients_split(
    *, session: Session, filters: reports.Filters, now: dt.datetime
) -> dict[str, int]:
    """Distinct patients with valid orders in the period: ``nuevo`` (first order in it) and
    ``recurrente``; cached for ``PATIENTS_TTL``."""
    sede_ids = filters.sede_ids
    if sede_ids is None:  # every sede: name them so the (sede, date, type) index is used
        sede_ids = [str(r[0]) for r in session.connection().execute(text("SELECT id FROM sede"))]
    database = str(session.get_bind().engine.url)
    key = (database, filters.date_from.isoformat(), filters.date_to.isoformat(), *sorted(sede_ids))
    with _PATIENTS_LOCK:
        hit = _PATIENTS_CACHE.get(key)
    if hit is not None and now - hit[0] < PATIENTS_TTL:
        return hit[1]
    rows = session.connection().execute(
        text(
            "SELECT CASE WHEN pf.first_date >= CAST(:f AS date) THEN 'nuevo' ELSE 'recurrente' "
            "END, count(*) FROM (SELECT DISTINCT r.payload->>'patient_id' AS pid "
            "FROM sync_record r WHERE r.record_type = 'order' AND r.op <> 'delete' "
            "AND r.sede_id = ANY(:s) AND r.business_date >= :f AND r.business_date <= :t "
            "AND r.payload->>'status' <> 'anulada') o "
            "LEFT JOIN rpt_patient_first pf ON pf.patient_id = o.pid GROUP BY 1"
        ),
        {"f": key[1], "t": key[2], "s": list(key[3:])},
    )
    split = {"nuevo": 0, "recurrente": 0} | {str(label): int(n) for label, n in rows}
    with _PATIENTS_LOCK:
        if len(_PATIENTS_CACHE) > 256:
            _PATIENTS_CACHE.clear()
        _PATIENTS_CACHE[key] = (now, split)
    return split


def patients_chart(*, session: Session, filters: reports.Filters, now: dt.datetime) -> str:
    split = patients_split(session=session, filters=filters, now=now)
    return charts.column_chart(
        "Pacientes nuevos y recurrentes",
        [
            charts.Bar(label.capitalize(), Decimal(n), money=False)
            for label, n in sorted(split.items())
            if n
        ],
    )


def render_all(
    *, session: Session, filters: reports.Filters, now: dt.datetime, part: str = "all"
) -> dict[str, str]:
    """The dashboard's charts as SVG keyed by name: ``part`` ``main`` (all but the patients
    chart, which is then ""), ``patients`` (only it) or ``all``."""
    out = dict.fromkeys(CHART_NAMES, "")
    if part in ("all", "patients"):
        out["patients"] = patients_chart(session=session, filters=filters, now=now)
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
    months = reports.monthly_comparison(session, filters, 24).rows
    return out | {
        "sales_by_day": charts.stacked_days("Ventas por sede y día", days, by_day),
        "payment_methods": charts.bar_chart(
            "Medios de pago",
            [charts.Bar(METHOD_LABELS.get(r["method"], r["method"]), r["amount"]) for r in methods],
        ),
        "top_services": charts.bar_chart(
            "Exámenes más vendidos (cantidad)",
            [charts.Bar(r["name"] or r["code"], Decimal(r["quantity"]), money=False) for r in top],
        ),
        "monthly": charts.column_chart(
            "Ventas mes a mes", [charts.Bar(r["month"], r["sales"]) for r in months]
        ),
    }


CHART_NAMES = ("sales_by_day", "payment_methods", "top_services", "patients", "monthly")
