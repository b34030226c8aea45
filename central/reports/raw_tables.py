"""Report tables read from the raw rows of the period: turnaround from order to results."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from central.config.sede_order import sede_code_sql
from central.reports.filters import Column, Filters, Table


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
            "LEFT JOIN sede s ON s.id = t.sede_id GROUP BY 1 "
            f"ORDER BY {sede_code_sql('coalesce(s.code, t.sede_id)')}"
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
