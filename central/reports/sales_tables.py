"""Report tables over the sales summaries: orders, sales, services, payment methods, months."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from central.config.sede_order import sede_code_sql
from central.reports.filters import Column, Filters, Table, money, query_rows


def orders(session: Session, f: Filters, limit: int) -> Table:
    rows = query_rows(
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
        [{"date": r[0], "orders": int(r[1]), "subtotal": money(r[2]), "discounts": money(r[3]),
          "total": money(r[4]), "cancelled": int(r[5])} for r in rows],
    )  # fmt: skip


def sales(session: Session, f: Filters, limit: int) -> Table:
    rows = query_rows(
        session,
        "SELECT coalesce(s.code, d.sede_id), coalesce(s.name, ''), sum(d.orders), "
        "sum(d.total_cents), sum(d.covered_cents), sum(d.paid_cents) FROM rpt_order_day d "
        f"LEFT JOIN sede s ON s.id = d.sede_id WHERE {f.where('d.business_date', 'd.sede_id')} "
        "AND d.status <> 'anulada' GROUP BY 1, 2 "
        f"ORDER BY {sede_code_sql('coalesce(s.code, d.sede_id)')}",
        f,
    )
    return Table(
        "sales", "Ventas por sede",
        [Column("sede", "Sede"), Column("name", "Nombre"), Column("orders", "Órdenes", "int"),
         Column("sales", "Ventas", "money"), Column("covered", "Convenios", "money"),
         Column("paid", "Cobrado", "money"), Column("average_ticket", "Ticket medio", "money")],
        [{"sede": r[0], "name": r[1], "orders": int(r[2]), "sales": money(r[3]),
          "covered": money(r[4]), "paid": money(r[5]),
          "average_ticket": money(round(int(r[3]) / int(r[2])) if r[2] else 0)} for r in rows],
    )  # fmt: skip


def top_services(session: Session, f: Filters, limit: int) -> Table:
    rows = query_rows(
        session,
        "SELECT max(service_code), max(service_name), sum(quantity), sum(amount_cents) "
        f"FROM rpt_service_day WHERE {f.where()} GROUP BY service_id HAVING sum(quantity) <> 0 "
        "ORDER BY sum(quantity) DESC, sum(amount_cents) DESC, service_id LIMIT :lim",
        f, lim=limit,
    )  # fmt: skip
    return Table(
        "top-services", "Servicios más vendidos",
        [Column("code", "Código"), Column("name", "Servicio"),
         Column("quantity", "Cantidad", "int"), Column("amount", "Monto", "money")],
        [{"code": r[0], "name": r[1], "quantity": int(r[2]), "amount": money(r[3])} for r in rows],
    )  # fmt: skip


def payment_methods(session: Session, f: Filters, limit: int) -> Table:
    rows = query_rows(
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
        [{"method": r[0], "payments": int(r[1]), "amount": money(r[2]), "refunds": int(r[3]),
          "refund_amount": money(-int(r[4])),
          "share": (Decimal(int(r[2]) * 100) / total).quantize(Decimal("0.1"))} for r in rows],
    )  # fmt: skip


def monthly_comparison(session: Session, f: Filters, limit: int) -> Table:
    rows = query_rows(
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
        out.append({"month": month, "orders": int(n), "sales": money(total), "change": change})
        prev = int(total)
    return Table(
        "monthly-comparison", "Comparativo mensual",
        [Column("month", "Mes"), Column("orders", "Órdenes", "int"),
         Column("sales", "Ventas", "money"), Column("change", "Variación %", "pct")],
        out,
    )  # fmt: skip
