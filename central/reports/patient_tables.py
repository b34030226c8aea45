"""New vs recurring patients, age band and sex, from the ``rpt_patient_day`` projection.

A patient is the order's ``patient_id`` as replicated (no merge mapping), counted in a period
when they have at least one order in it that is not ``anulada``; they are ``nuevo`` when their
first order anywhere in the chain (``rpt_patient_first``: any order, at any sede) is on or
after the period's first day, ``recurrente`` otherwise. ``rpt_patient_day`` holds one row per
sede (and for the whole chain) per day and patient with their valid orders, that first date and
the patient's previous visit, so a period costs one index range scan (no raw rows, no join
with every patient, and in one scope no DISTINCT either).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from central.reports.filters import Column, Filters, Table, query_rows

KINDS = ("nuevo", "recurrente")
_KIND = "CASE WHEN d.first_date >= :f THEN 'nuevo' ELSE 'recurrente' END"
_PID = "NULLIF(d.patient_id, '')"
_BANDS = (("12 years", "0-11"), ("18 years", "12-17"), ("30 years", "18-29"),
          ("45 years", "30-44"), ("60 years", "45-59"))  # fmt: skip
_FIRST_IN_PERIOD = "(d.prev_date IS NULL OR d.prev_date < :f)"


def _age(day: str) -> str:
    """The patient's age band on ``day``."""
    whens = " ".join(
        f"WHEN age({day}, p.birth_date) < interval '{limit}' THEN '{band}'"
        for limit, band in _BANDS
    )
    return f"CASE WHEN p.birth_date IS NULL THEN 'sin dato' {whens} ELSE '60+' END"


def _visits(f: Filters, join: str = "") -> str:
    """The period's patient-days with valid orders (``d``) in the filter's sedes (the chain's
    own rows when it has none), with ``join`` before the WHERE."""
    scope = "d.sede_id = ''" if f.sede_ids is None else "d.sede_id = ANY(:s)"
    return (
        f"FROM rpt_patient_day d {join}WHERE {scope} "
        "AND d.business_date BETWEEN :f AND :t AND d.orders > 0"
    )


def patient_split(*, session: Session, filters: Filters) -> dict[str, int]:
    """Distinct patients with valid orders in the period, ``nuevo`` and ``recurrente``.

    In one scope (the chain, or one sede) a patient is counted on their first visit in the
    period, the row whose previous visit is before it; over several sedes, by DISTINCT."""
    if filters.sede_ids is None or len(filters.sede_ids) == 1:
        ((total, new),) = query_rows(
            session,
            f"SELECT count(*), count(*) FILTER (WHERE d.first_date >= :f) {_visits(filters)} "
            "AND d.patient_id <> '' AND (d.prev_date IS NULL OR d.prev_date < :f)",
            filters,
        )
        return {"nuevo": int(new), "recurrente": int(total) - int(new)}
    rows = query_rows(
        session,
        f"SELECT {_KIND}, count(*) FROM (SELECT DISTINCT {_PID} AS patient_id, d.first_date "
        f"{_visits(filters)}) d WHERE d.patient_id IS NOT NULL GROUP BY 1",
        filters,
    )
    return dict.fromkeys(KINDS, 0) | {str(label): int(n) for label, n in rows}


def patients_analysis(session: Session, f: Filters, limit: int) -> Table:
    """New vs recurring patients, by age band and by sex (distinct patients, and orders).

    In one scope a patient counts in a group on their first visit of the period in it (a
    patient's age band only grows, so their visits in a band follow one another); over
    several sedes, by DISTINCT."""
    join = f"LEFT JOIN hub_patient p ON p.id = {_PID} "
    age, prev_age = _age("d.business_date"), _age("d.prev_date")
    segments: list[tuple[str, str, str, str]] = [
        ("tipo", _KIND, "", _FIRST_IN_PERIOD),
        ("edad", age, join, f"({_FIRST_IN_PERIOD} OR {prev_age} <> {age})"),
        ("sexo", "coalesce(p.sex, 'sin dato')", join, _FIRST_IN_PERIOD),
    ]
    one_scope = f.sede_ids is None or len(f.sede_ids) == 1
    out: list[dict[str, Any]] = []
    for segment, expr, seg_join, first in segments:
        patients = (
            f"count(*) FILTER (WHERE d.patient_id <> '' AND {first})"
            if one_scope
            else f"count(DISTINCT {_PID})"
        )
        rows = query_rows(
            session,
            f"SELECT {expr} AS label, {patients}, sum(d.orders) {_visits(f, seg_join)} "
            "GROUP BY 1 ORDER BY 1",
            f,
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
