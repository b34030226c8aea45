"""Report table over the orders per ordering physician (médico solicitante, ``rpt_physician_day``).

One row per physician: orders with a CMP are one physician per CMP, shown with the name of
their latest day in the period (a name typed differently over time, or corrected, does not
split them); orders with a name and no CMP are one physician per name; orders with neither
are one row, "Sin médico registrado", last. Cancelled orders are not counted (the summary
leaves them out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from central.reports.filters import Column, Filters, Table, money, query_rows

NO_PHYSICIAN = "Sin médico registrado"


@dataclass
class _Physician:
    cmp: str
    name: str
    orders: int = 0
    urgent: int = 0
    cents: int = 0
    seen: tuple[dt.date, int, str] = (dt.date.min, 0, "")  # latest day, orders, name


def group_physicians(
    rows: Iterable[tuple[str, str, dt.date, int, int, int]],
) -> list[dict[str, object]]:
    """Rows of (CMP, name, latest day with orders, orders, urgent orders, céntimos) per CMP and
    name as recorded, to one row per physician: most orders first, the unknown one last."""
    groups: dict[tuple[str, str], _Physician] = {}
    for cmp, name, last, orders, urgent, cents in rows:
        cmp, name = cmp or "", name or ""
        p = groups.setdefault(("cmp", cmp) if cmp else ("name", name), _Physician(cmp, name))
        p.orders += int(orders)
        p.urgent += int(urgent)
        p.cents += int(cents)
        if name and (last, int(orders), name) > p.seen:  # the latest day's name
            p.seen, p.name = (last, int(orders), name), name
    out = sorted(
        (p for k, p in groups.items() if k != ("name", "")),
        key=lambda p: (-p.orders, -p.cents, p.name, p.cmp),
    )
    unknown = groups.get(("name", ""))
    if unknown is not None:
        out.append(unknown)
    return [
        {
            "cmp": p.cmp,
            "name": p.name or (NO_PHYSICIAN if not p.cmp else ""),
            "orders": p.orders,
            "urgent": p.urgent,
            "total": money(p.cents),
        }
        for p in out
    ]


def physicians(session: Session, f: Filters, limit: int) -> Table:
    rows = query_rows(
        session,
        "SELECT physician_cmp, physician_name, max(business_date), sum(orders), "
        f"sum(urgent_orders), sum(total_cents) FROM rpt_physician_day WHERE {f.where()} "
        "AND orders <> 0 GROUP BY 1, 2",
        f,
    )
    return Table(
        "physicians", "Médicos solicitantes",
        [Column("cmp", "CMP"), Column("name", "Médico"), Column("orders", "Órdenes", "int"),
         Column("urgent", "Urgentes", "int"), Column("total", "Total vendido", "money")],
        group_physicians(rows),
    )  # fmt: skip
