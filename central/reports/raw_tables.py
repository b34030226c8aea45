"""Report tables read from the raw rows of the period: patients analysis (new vs recurring, age
band, sex) and turnaround from order to results."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from central.reports.filters import Column, Filters, Table

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
