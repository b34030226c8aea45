"""Consolidated reports over every sede (aggregates only: Ley 29733).

The dashboard and most reports read the summary tables (:mod:`central.reports.models`), kept by
the triggers of migration 0002, so they answer in milliseconds whatever the size of
``sync_record``; patients analysis and turnaround read the raw rows of the period. Supervisors
see only their sedes (``Filters.sede_ids``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from central.auth.tokens import Principal
from central.reports import projections
from domain.clock import business_date
from domain.errors import Forbidden, InvalidInput
from domain.money import from_cents
from domain.permissions import Role

MAX_DAYS = 731


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    sede_ids: list[str] | None  # None: every sede

    def params(self) -> dict[str, Any]:
        return {"f": self.date_from, "t": self.date_to, "s": self.sede_ids or []}

    def where(self, date_col: str = "business_date", sede_col: str = "sede_id") -> str:
        cond = f"{date_col} BETWEEN :f AND :t"
        if self.sede_ids is not None:
            cond += f" AND {sede_col} = ANY(:s)"
        return cond


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | money | pct | date | hours


@dataclass
class Table:
    report: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)


def filters_for(
    user: Principal,
    *,
    today: dt.date,
    date_from: dt.date | None,
    date_to: dt.date | None,
    sede_id: str | None,
) -> Filters:
    """Resolve the period (default: the last 30 days) and the sedes the user may see."""
    end = date_to or today
    start = date_from or end - dt.timedelta(days=29)
    if start > end:
        raise InvalidInput(
            "La fecha inicial es posterior a la final.",
            code="date_range_invalid",
            loc=["query", "from"],
        )
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(
            "El periodo no puede pasar de dos años.",
            code="date_range_too_long",
            loc=["query", "to"],
        )
    admin = Role(user.role) is Role.ADMIN
    if sede_id:
        if not admin and sede_id not in user.sede_ids:
            raise Forbidden("No está asignado a esta sede.", code="sede_not_assigned")
        return Filters(start, end, [sede_id])
    return Filters(start, end, None if admin else list(user.sede_ids))


def today_of(now: dt.datetime) -> dt.date:
    return business_date(now)


def _m(cents: Any) -> Decimal:
    return from_cents(int(cents or 0))


def _rows(session: Session, sql: str, f: Filters, **extra: Any) -> list[Any]:
    return list(session.connection().execute(text(sql), f.params() | extra))


# ------------------------------------------------------------------------------ dashboard
def dashboard(*, session: Session, filters: Filters) -> dict[str, Any]:
    f = filters
    w = f.where()
    (o,) = _rows(
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
    methods = _rows(
        session,
        "SELECT method, sum(payments), sum(amount_cents), sum(refund_cents) FROM rpt_payment_day "
        f"WHERE {w} GROUP BY method ORDER BY sum(amount_cents) DESC, method",
        f,
    )
    docs = _rows(
        session,
        "SELECT doc_type, state, sum(documents), sum(total_cents) FROM rpt_document_day "
        f"WHERE {w} GROUP BY doc_type, state ORDER BY doc_type, state",
        f,
    )
    top = _rows(
        session,
        "SELECT service_id, max(service_code), max(service_name), sum(quantity), "
        f"sum(amount_cents) FROM rpt_service_day WHERE {w} GROUP BY service_id "
        "ORDER BY sum(quantity) DESC, sum(amount_cents) DESC, service_id LIMIT 5",
        f,
    )
    by_sede = _rows(
        session,
        "SELECT d.sede_id, coalesce(s.code, ''), sum(d.orders) FILTER (WHERE d.status <> "
        "'anulada'), sum(d.total_cents) FILTER (WHERE d.status <> 'anulada') "
        "FROM rpt_order_day d LEFT JOIN sede s ON s.id = d.sede_id "
        f"WHERE {f.where('d.business_date', 'd.sede_id')} "
        "GROUP BY d.sede_id, s.code ORDER BY s.code, d.sede_id",
        f,
    )  # fmt: skip
    (new_patients,) = _rows(
        session,
        "SELECT count(*) FROM rpt_patient_first WHERE " + f.where("first_date", "first_sede_id"),
        f,
    )
    valid = int(o[1])
    return {
        "date_from": f.date_from,
        "date_to": f.date_to,
        "sede_ids": f.sede_ids,
        "orders": valid,
        "registered_orders": int(o[0]),
        "sales": _m(o[2]),
        "discounts": _m(o[3]),
        "cancelled_orders": int(o[4]),
        "cancelled_amount": _m(o[5]),
        "covered": _m(o[6]),
        "average_ticket": _m(round(int(o[2]) / valid)) if valid else _m(0),
        "payments_total": _m(sum(int(r[2]) for r in methods)),
        "refunds_total": _m(-sum(int(r[3]) for r in methods)),
        "new_patients": int(new_patients[0]),
        "payment_methods": [
            {"method": r[0], "payments": int(r[1]), "amount": _m(r[2])} for r in methods
        ],
        "documents": [
            {"doc_type": r[0], "state": r[1], "documents": int(r[2]), "total": _m(r[3])}
            for r in docs
        ],
        "top_services": [
            {
                "service_id": r[0],
                "code": r[1],
                "name": r[2],
                "quantity": int(r[3]),
                "amount": _m(r[4]),
            }
            for r in top
        ],  # fmt: skip
        "by_sede": [
            {"sede_id": r[0], "sede_code": r[1], "orders": int(r[2] or 0), "sales": _m(r[3])}
            for r in by_sede
        ],
    }


# ------------------------------------------------------------------------------ tables
def orders(session: Session, f: Filters, limit: int) -> Table:
    rows = _rows(
        session,
        "SELECT business_date, sum(orders), sum(subtotal_cents), sum(discount_cents), "
        "sum(total_cents), coalesce(sum(orders) FILTER (WHERE status = 'anulada'), 0) "
        f"FROM rpt_order_day WHERE {f.where()} GROUP BY business_date ORDER BY business_date",
        f,
    )
    return Table(
        "orders", "Órdenes por día",
        [Column("date", "Fecha", "date"), Column("orders", "Órdenes", "int"),
         Column("subtotal", "Subtotal", "money"), Column("discounts", "Descuentos", "money"),
         Column("total", "Total", "money"), Column("cancelled", "Anuladas", "int")],
        [{"date": r[0], "orders": int(r[1]), "subtotal": _m(r[2]), "discounts": _m(r[3]),
          "total": _m(r[4]), "cancelled": int(r[5])} for r in rows],
    )  # fmt: skip


def sales(session: Session, f: Filters, limit: int) -> Table:
    rows = _rows(
        session,
        "SELECT coalesce(s.code, d.sede_id), coalesce(s.name, ''), sum(d.orders), "
        "sum(d.total_cents), sum(d.covered_cents), sum(d.paid_cents) FROM rpt_order_day d "
        f"LEFT JOIN sede s ON s.id = d.sede_id WHERE {f.where('d.business_date', 'd.sede_id')} "
        "AND d.status <> 'anulada' GROUP BY 1, 2 ORDER BY 1",
        f,
    )
    return Table(
        "sales", "Ventas por sede",
        [Column("sede", "Sede"), Column("name", "Nombre"), Column("orders", "Órdenes", "int"),
         Column("sales", "Ventas", "money"), Column("covered", "Convenios", "money"),
         Column("paid", "Cobrado", "money"), Column("average_ticket", "Ticket medio", "money")],
        [{"sede": r[0], "name": r[1], "orders": int(r[2]), "sales": _m(r[3]),
          "covered": _m(r[4]), "paid": _m(r[5]),
          "average_ticket": _m(round(int(r[3]) / int(r[2])) if r[2] else 0)} for r in rows],
    )  # fmt: skip


def top_services(session: Session, f: Filters, limit: int) -> Table:
    rows = _rows(
        session,
        "SELECT max(service_code), max(service_name), sum(quantity), sum(amount_cents) "
        f"FROM rpt_service_day WHERE {f.where()} GROUP BY service_id "
        "ORDER BY sum(quantity) DESC, sum(amount_cents) DESC, service_id LIMIT :lim",
        f, lim=limit,
    )  # fmt: skip
    return Table(
        "top-services", "Servicios más vendidos",
        [Column("code", "Código"), Column("name", "Servicio"),
         Column("quantity", "Cantidad", "int"), Column("amount", "Monto", "money")],
        [{"code": r[0], "name": r[1], "quantity": int(r[2]), "amount": _m(r[3])} for r in rows],
    )  # fmt: skip


def payment_methods(session: Session, f: Filters, limit: int) -> Table:
    rows = _rows(
        session,
        "SELECT method, sum(payments), sum(amount_cents), sum(refunds), sum(refund_cents) "
        f"FROM rpt_payment_day WHERE {f.where()} GROUP BY method ORDER BY 3 DESC, 1",
        f,
    )
    total = sum(int(r[2]) for r in rows) or 1
    return Table(
        "payment-methods", "Medios de pago",
        [Column("method", "Medio"), Column("payments", "Pagos", "int"),
         Column("amount", "Monto neto", "money"), Column("refunds", "Devoluciones", "int"),
         Column("refund_amount", "Monto devuelto", "money"), Column("share", "% del total", "pct")],
        [{"method": r[0], "payments": int(r[1]), "amount": _m(r[2]), "refunds": int(r[3]),
          "refund_amount": _m(-int(r[4])),
          "share": (Decimal(int(r[2]) * 100) / total).quantize(Decimal("0.1"))} for r in rows],
    )  # fmt: skip


def monthly_comparison(session: Session, f: Filters, limit: int) -> Table:
    rows = _rows(
        session,
        "SELECT to_char(business_date, 'YYYY-MM'), sum(orders), sum(total_cents) "
        f"FROM rpt_order_day WHERE {f.where()} AND status <> 'anulada' GROUP BY 1 ORDER BY 1",
        f,
    )
    out: list[dict[str, Any]] = []
    prev: int | None = None
    for month, n, total in rows:
        change = (
            (Decimal((int(total) - prev) * 100) / prev).quantize(Decimal("0.1")) if prev else None
        )
        out.append({"month": month, "orders": int(n), "sales": _m(total), "change": change})
        prev = int(total)
    return Table(
        "monthly-comparison", "Comparativo mensual",
        [Column("month", "Mes"), Column("orders", "Órdenes", "int"),
         Column("sales", "Ventas", "money"), Column("change", "Variación %", "pct")],
        out,
    )  # fmt: skip


def _user_rows(session: Session, sql: str, f: Filters) -> list[Any]:
    return _rows(session, sql, f)


def discounts(session: Session, f: Filters, limit: int) -> Table:
    rows = _user_rows(
        session,
        "SELECT coalesce(u.username, d.cashier_id), sum(d.orders), sum(d.discounted_orders), "
        "sum(d.discount_cents) FROM rpt_order_day d LEFT JOIN user_account u ON u.id = "
        f"d.cashier_id WHERE {f.where('d.business_date', 'd.sede_id')} AND d.status <> 'anulada' "
        "GROUP BY 1 ORDER BY 4 DESC, 1",
        f,
    )
    return Table(
        "discounts", "Descuentos por usuario",
        [Column("user", "Usuario"), Column("orders", "Órdenes", "int"),
         Column("discounted", "Con descuento", "int"), Column("amount", "Descontado", "money")],
        [{"user": r[0], "orders": int(r[1]), "discounted": int(r[2]), "amount": _m(r[3])}
         for r in rows],
    )  # fmt: skip


def cancellations(session: Session, f: Filters, limit: int) -> Table:
    made = _user_rows(
        session,
        "SELECT coalesce(u.username, e.user_id), sum(e.events) FROM rpt_status_day e LEFT JOIN "
        f"user_account u ON u.id = e.user_id WHERE {f.where('e.business_date', 'e.sede_id')} "
        "AND e.to_status = 'anulada' GROUP BY 1",
        f,
    )
    amounts = _user_rows(
        session,
        "SELECT coalesce(u.username, d.cashier_id), sum(d.orders), sum(d.total_cents) FROM "
        "rpt_order_day d LEFT JOIN user_account u ON u.id = d.cashier_id WHERE "
        f"{f.where('d.business_date', 'd.sede_id')} AND d.status = 'anulada' GROUP BY 1",
        f,
    )
    users: dict[str, dict[str, Any]] = {}
    for user, n in made:
        users.setdefault(user, {"user": user, "cancelled_by": 0, "orders": 0, "amount": _m(0)})
        users[user]["cancelled_by"] = int(n)
    for user, n, cents in amounts:
        users.setdefault(user, {"user": user, "cancelled_by": 0, "orders": 0, "amount": _m(0)})
        users[user]["orders"] = int(n)
        users[user]["amount"] = _m(cents)
    return Table(
        "cancellations", "Anulaciones por usuario",
        [Column("user", "Usuario"), Column("cancelled_by", "Anulaciones hechas", "int"),
         Column("orders", "Órdenes anuladas de su caja", "int"),
         Column("amount", "Monto anulado", "money")],
        sorted(users.values(), key=lambda r: (-r["cancelled_by"], r["user"])),
    )  # fmt: skip


def cash_differences(session: Session, f: Filters, limit: int) -> Table:
    rows = _user_rows(
        session,
        "SELECT coalesce(u.username, c.cashier_id), sum(c.sessions), sum(c.expected_cents), "
        "sum(c.declared_cents), sum(c.difference_cents), sum(c.over_sessions), "
        "sum(c.short_sessions) FROM rpt_cash_day c LEFT JOIN user_account u ON u.id = "
        f"c.cashier_id WHERE {f.where('c.business_date', 'c.sede_id')} GROUP BY 1 ORDER BY 5, 1",
        f,
    )
    return Table(
        "cash-differences", "Diferencias de caja por cajero",
        [Column("user", "Cajero"), Column("sessions", "Cajas", "int"),
         Column("expected", "Esperado", "money"), Column("declared", "Declarado", "money"),
         Column("difference", "Diferencia", "money"), Column("over", "Sobrantes", "int"),
         Column("short", "Faltantes", "int")],
        [{"user": r[0], "sessions": int(r[1]), "expected": _m(r[2]), "declared": _m(r[3]),
          "difference": _m(r[4]), "over": int(r[5]), "short": int(r[6])} for r in rows],
    )  # fmt: skip


def convenio_sales(session: Session, f: Filters, limit: int) -> Table:
    rows = _rows(
        session,
        "SELECT coalesce(c.name, d.convenio_id), sum(d.orders), sum(d.total_cents), "
        "sum(d.covered_cents) FROM rpt_order_day d LEFT JOIN convenio c ON c.id = d.convenio_id "
        f"WHERE {f.where('d.business_date', 'd.sede_id')} AND d.convenio_id <> '' "
        "AND d.status <> 'anulada' GROUP BY 1 ORDER BY 4 DESC, 1",
        f,
    )
    return Table(
        "convenio-sales", "Ventas por convenio",
        [Column("convenio", "Convenio"), Column("orders", "Órdenes", "int"),
         Column("total", "Total", "money"), Column("covered", "Por cobrar al convenio", "money"),
         Column("patient", "Pagado por pacientes", "money")],
        [{"convenio": r[0], "orders": int(r[1]), "total": _m(r[2]), "covered": _m(r[3]),
          "patient": _m(int(r[2]) - int(r[3]))} for r in rows],
    )  # fmt: skip


def sunat_states(session: Session, f: Filters, limit: int) -> Table:
    names = {"01": "Factura", "03": "Boleta", "07": "Nota de crédito", "08": "Nota de débito"}
    rows = _rows(
        session,
        "SELECT doc_type, state, sum(documents), sum(total_cents) FROM rpt_document_day "
        f"WHERE {f.where()} GROUP BY 1, 2 ORDER BY 1, 2",
        f,
    )
    return Table(
        "sunat-states", "Comprobantes por estado SUNAT",
        [Column("doc_type", "Tipo"), Column("state", "Estado"),
         Column("documents", "Comprobantes", "int"), Column("total", "Total", "money")],
        [{"doc_type": names.get(r[0], r[0]), "state": r[1], "documents": int(r[2]),
          "total": _m(r[3])} for r in rows],
    )  # fmt: skip


_AGE = (
    "CASE WHEN p.birth_date IS NULL THEN 'sin dato' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '12 years' THEN '0-11' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '18 years' THEN '12-17' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '30 years' THEN '18-29' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '45 years' THEN '30-44' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '60 years' THEN '45-59' "
    "ELSE '60+' END"
)


def patients_analysis(session: Session, f: Filters, limit: int) -> Table:
    """New vs recurring patients, by age band and by sex (distinct patients, and orders)."""
    base = (
        "WITH o AS (SELECT r.business_date, r.payload->>'patient_id' AS pid FROM sync_record r "
        "WHERE r.record_type = 'order' AND r.op <> 'delete' AND r.payload->>'status' <> 'anulada' "
        f"AND {f.where('r.business_date', 'r.sede_id')}) "
    )
    params = f.params() | {"f": f.date_from.isoformat(), "t": f.date_to.isoformat()}
    conn = session.connection()
    segments: list[tuple[str, str]] = [
        ("tipo", "CASE WHEN pf.first_date >= CAST(:f AS date) THEN 'nuevo' ELSE 'recurrente' END"),
        ("edad", _AGE),
        ("sexo", "coalesce(p.sex, 'sin dato')"),
    ]
    out: list[dict[str, Any]] = []
    for segment, expr in segments:
        rows = conn.execute(
            text(
                base + f"SELECT {expr} AS label, count(DISTINCT o.pid), count(*) FROM o "
                "LEFT JOIN rpt_patient_first pf ON pf.patient_id = o.pid "
                "LEFT JOIN hub_patient p ON p.id = o.pid GROUP BY 1 ORDER BY 1"
            ),
            params,
        )
        out += [
            {"segment": segment, "label": r[0], "patients": int(r[1]), "orders": int(r[2])}
            for r in rows
        ]
    return Table(
        "patients-analysis", "Análisis de pacientes",
        [Column("segment", "Segmento"), Column("label", "Grupo"),
         Column("patients", "Pacientes", "int"), Column("orders", "Órdenes", "int")],
        out,
    )  # fmt: skip


def turnaround(session: Session, f: Filters, limit: int) -> Table:
    """Hours from the order to its results being ready, per sede."""
    params = f.params() | {"f": f.date_from.isoformat(), "t": f.date_to.isoformat()}
    rows = session.connection().execute(
        text(
            "WITH t AS (SELECT o.sede_id, EXTRACT(EPOCH FROM (min((e.payload->>'created_at')"
            "::timestamptz) - (o.payload->>'created_at')::timestamptz)) / 3600.0 AS h "
            "FROM sync_record o JOIN sync_record e ON e.record_type = 'order_status_event' "
            "AND e.sede_id = o.sede_id AND e.business_date >= o.business_date "
            "AND e.payload->>'order_id' = o.id AND e.payload->>'to_status' = 'resultados_listos' "
            f"WHERE o.record_type = 'order' AND {f.where('o.business_date', 'o.sede_id')} "
            "GROUP BY o.sede_id, o.id, o.payload) "
            "SELECT coalesce(s.code, t.sede_id), count(*), avg(h), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY h), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY h) FROM t "
            "LEFT JOIN sede s ON s.id = t.sede_id GROUP BY 1 ORDER BY 1"
        ),
        params,
    )

    def hours(v: Any) -> Decimal:
        return Decimal(str(v or 0)).quantize(Decimal("0.1"))

    return Table(
        "turnaround", "Tiempo de entrega de resultados (horas)",
        [Column("sede", "Sede"), Column("orders", "Órdenes con resultados", "int"),
         Column("average", "Promedio", "hours"), Column("median", "Mediana", "hours"),
         Column("p90", "Percentil 90", "hours")],
        [{"sede": r[0], "orders": int(r[1]), "average": hours(r[2]), "median": hours(r[3]),
          "p90": hours(r[4])} for r in rows],
    )  # fmt: skip


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
