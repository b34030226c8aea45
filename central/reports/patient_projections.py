"""The SQL of the patient projections: each patient's first order (``rpt_patient_first``) and
the derived columns of ``rpt_patient_day`` (its rows are an ordinary summary of
:mod:`central.reports.projections`), run by the same statement-level triggers."""

from __future__ import annotations

DATE = "r.business_date::date"


def patient_first_sql(src: str) -> str:
    return (
        "INSERT INTO rpt_patient_first (patient_id, first_date, first_sede_id) "
        "SELECT DISTINCT ON (r.payload->>'patient_id') r.payload->>'patient_id', "
        f"{DATE}, r.sede_id FROM {src} r WHERE r.record_type = 'order' AND r.op <> 'delete' "
        "AND r.payload->>'patient_id' IS NOT NULL AND r.business_date IS NOT NULL "
        "AND r.sede_id IS NOT NULL "
        f"ORDER BY r.payload->>'patient_id', {DATE}, r.sede_id "
        "ON CONFLICT (patient_id) DO UPDATE SET "
        "first_sede_id = CASE WHEN (EXCLUDED.first_date, EXCLUDED.first_sede_id) < "
        "(rpt_patient_first.first_date, rpt_patient_first.first_sede_id) "
        "THEN EXCLUDED.first_sede_id ELSE rpt_patient_first.first_sede_id END, "
        "first_date = LEAST(rpt_patient_first.first_date, EXCLUDED.first_date)"
    )


def patient_day_sync_sql(sources: list[str] | None) -> str:
    """Bring ``first_date`` and ``prev_date`` of the ``rpt_patient_day`` rows of the patients
    of ``sources``' orders up to date (every row when ``sources`` is None): an order changes
    the patient's visits (new, cancelled, deleted) and may move their first order earlier.
    Only rows whose values differ are written."""
    touched = (
        ""
        if sources is None
        else "AND v.patient_id IN ("
        + " UNION ".join(
            f"SELECT coalesce(r.payload->>'patient_id', '') FROM {src} r "
            "WHERE r.record_type = 'order'"
            for src in sources
        )
        + ") "
    )
    return (
        "UPDATE rpt_patient_day d SET first_date = x.first_date, prev_date = x.prev_date "
        "FROM (SELECT v.sede_id, v.business_date, v.patient_id, pf.first_date, "
        "lag(v.business_date) OVER (PARTITION BY v.sede_id, v.patient_id "
        "ORDER BY v.business_date) AS prev_date FROM rpt_patient_day v "
        "LEFT JOIN rpt_patient_first pf ON pf.patient_id = v.patient_id "
        f"WHERE v.orders > 0 {touched}) x "
        "WHERE d.sede_id = x.sede_id AND d.business_date = x.business_date "
        "AND d.patient_id = x.patient_id "
        "AND (d.first_date, d.prev_date) IS DISTINCT FROM (x.first_date, x.prev_date)"
    )
