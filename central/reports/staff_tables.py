"""Report tables by user, cashier, convenio and SUNAT state: discounts, cancellations, cash
differences, convenio sales, document states."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from central.reports.filters import Column, Filters, Table, money, query_rows
from domain.sunat.catalogs import doc_type_label


def user_rows(session: Session, sql: str, f: Filters) -> list[Any]:
    return query_rows(session, sql, f)


def discounts(session: Session, f: Filters, limit: int) -> Table:
    rows = user_rows(
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
        [{"user": r[0], "orders": int(r[1]), "discounted": int(r[2]), "amount": money(r[3])}
         for r in rows],
    )  # fmt: skip


def cancellations(session: Session, f: Filters, limit: int) -> Table:
    made = user_rows(
        session,
        "SELECT coalesce(u.username, e.user_id), sum(e.events) FROM rpt_status_day e LEFT JOIN "
        f"user_account u ON u.id = e.user_id WHERE {f.where('e.business_date', 'e.sede_id')} "
        "AND e.to_status = 'anulada' GROUP BY 1",
        f,
    )
    amounts = user_rows(
        session,
        "SELECT coalesce(u.username, d.cashier_id), sum(d.orders), sum(d.total_cents) FROM "
        "rpt_order_day d LEFT JOIN user_account u ON u.id = d.cashier_id WHERE "
        f"{f.where('d.business_date', 'd.sede_id')} AND d.status = 'anulada' GROUP BY 1",
        f,
    )
    users: dict[str, dict[str, Any]] = {}
    for user, n in made:
        users.setdefault(user, {"user": user, "cancelled_by": 0, "orders": 0, "amount": money(0)})
        users[user]["cancelled_by"] = int(n)
    for user, n, cents in amounts:
        users.setdefault(user, {"user": user, "cancelled_by": 0, "orders": 0, "amount": money(0)})
        users[user]["orders"] = int(n)
        users[user]["amount"] = money(cents)
    return Table(
        "cancellations", "Anulaciones por usuario",
        [Column("user", "Usuario"), Column("cancelled_by", "Anulaciones hechas", "int"),
         Column("orders", "Órdenes anuladas de su caja", "int"),
         Column("amount", "Monto anulado", "money")],
        sorted(users.values(), key=lambda r: (-r["cancelled_by"], r["user"])),
    )  # fmt: skip


def cash_differences(session: Session, f: Filters, limit: int) -> Table:
    rows = user_rows(
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
        [{"user": r[0], "sessions": int(r[1]), "expected": money(r[2]), "declared": money(r[3]),
          "difference": money(r[4]), "over": int(r[5]), "short": int(r[6])} for r in rows],
    )  # fmt: skip


def convenio_sales(session: Session, f: Filters, limit: int) -> Table:
    rows = query_rows(
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
        [{"convenio": r[0], "orders": int(r[1]), "total": money(r[2]), "covered": money(r[3]),
          "patient": money(int(r[2]) - int(r[3]))} for r in rows],
    )  # fmt: skip


def sunat_states(session: Session, f: Filters, limit: int) -> Table:
    rows = query_rows(
        session,
        "SELECT doc_type, state, sum(documents), sum(total_cents) FROM rpt_document_day "
        f"WHERE {f.where()} GROUP BY 1, 2 ORDER BY 1, 2",
        f,
    )
    return Table(
        "sunat-states", "Comprobantes por estado SUNAT",
        [Column("doc_type", "Tipo"), Column("state", "Estado"),
         Column("documents", "Comprobantes", "int"), Column("total", "Total", "money")],
        [{"doc_type": doc_type_label(r[0]), "state": r[1], "documents": int(r[2]),
          "total": money(r[3])} for r in rows],
    )  # fmt: skip
