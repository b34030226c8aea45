"""The dashboard's figures for a period and the sedes a user may see (summary tables only).

``new_patients`` is :func:`central.reports.patient_tables.patient_split`'s ``nuevo``: the
patients with a valid order in the period, at the sedes seen, whose first order anywhere in the
chain is in the period — the "Nuevo" of the tablero's patients chart and of the patients
analysis report (not the patients whose very first order was at one of the sedes seen).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from central.config.sede_order import sede_code_sql
from central.reports.filters import Filters, money, query_rows
from central.reports.patient_tables import patient_split


def dashboard(*, session: Session, filters: Filters) -> dict[str, Any]:
    f = filters
    w = f.where()
    (o,) = query_rows(
        session,
        "SELECT coalesce(sum(orders), 0), "
        "coalesce(sum(orders) FILTER (WHERE status <> 'anulada'), 0), "
        "coalesce(sum(total_cents) FILTER (WHERE status <> 'anulada'), 0), "
        "coalesce(sum(discount_cents) FILTER (WHERE status <> 'anulada'), 0), "
        "coalesce(sum(orders) FILTER (WHERE status = 'anulada'), 0), "
        "coalesce(sum(total_cents) FILTER (WHERE status = 'anulada'), 0), "
        "coalesce(sum(covered_cents) FILTER (WHERE status <> 'anulada'), 0) "
        f"FROM rpt_order_day WHERE {w}",
        f,
    )
    methods = query_rows(
        session,
        "SELECT method, sum(payments), sum(amount_cents), sum(refund_cents) FROM rpt_payment_day "
        f"WHERE {w} GROUP BY method ORDER BY sum(amount_cents) DESC, method",
        f,
    )
    docs = query_rows(
        session,
        "SELECT doc_type, state, sum(documents), sum(total_cents) FROM rpt_document_day "
        f"WHERE {w} GROUP BY doc_type, state ORDER BY doc_type, state",
        f,
    )
    top = query_rows(
        session,
        "SELECT service_id, max(service_code), max(service_name), sum(quantity), "
        f"sum(amount_cents) FROM rpt_service_day WHERE {w} GROUP BY service_id "
        "HAVING sum(quantity) <> 0 "
        "ORDER BY sum(quantity) DESC, sum(amount_cents) DESC, service_id LIMIT 5",
        f,
    )
    by_sede = query_rows(
        session,
        "SELECT d.sede_id, coalesce(s.code, ''), sum(d.orders) FILTER (WHERE d.status <> "
        "'anulada'), sum(d.total_cents) FILTER (WHERE d.status <> 'anulada') "
        "FROM rpt_order_day d LEFT JOIN sede s ON s.id = d.sede_id "
        f"WHERE {f.where('d.business_date', 'd.sede_id')} "
        f"GROUP BY d.sede_id, s.code ORDER BY {sede_code_sql('s.code')}, d.sede_id",
        f,
    )  # fmt: skip
    # the tablero's chart and the patients analysis report count them the same way
    new_patients = patient_split(session=session, filters=f)["nuevo"]
    valid = int(o[1])
    return {
        "date_from": f.date_from,
        "date_to": f.date_to,
        "sede_ids": f.sede_ids,
        "orders": valid,
        "registered_orders": int(o[0]),
        "sales": money(o[2]),
        "discounts": money(o[3]),
        "cancelled_orders": int(o[4]),
        "cancelled_amount": money(o[5]),
        "covered": money(o[6]),
        "average_ticket": money(round(int(o[2]) / valid)) if valid else money(0),
        "payments_total": money(sum(int(r[2]) for r in methods)),
        "refunds_total": money(-sum(int(r[3]) for r in methods)),
        "new_patients": new_patients,
        "payment_methods": [
            {"method": r[0], "payments": int(r[1]), "amount": money(r[2])} for r in methods
        ],
        "documents": [
            {"doc_type": r[0], "state": r[1], "documents": int(r[2]), "total": money(r[3])}
            for r in docs
        ],
        "top_services": [
            {
                "service_id": r[0],
                "code": r[1],
                "name": r[2],
                "quantity": int(r[3]),
                "amount": money(r[4]),
            }
            for r in top
        ],  # fmt: skip
        "by_sede": [
            {"sede_id": r[0], "sede_code": r[1], "orders": int(r[2] or 0), "sales": money(r[3])}
            for r in by_sede
        ],
    }
