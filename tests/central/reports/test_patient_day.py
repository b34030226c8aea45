"""New vs recurring patients from ``rpt_patient_day`` equal the raw computation the reports
used before it existed (distinct patients of the period read from ``sync_record``), through
inserts, cancellations (and an order leaving ``anulada``), an earlier order arriving late, a
deleted record, re-deliveries and a rebuild."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from central.db import unit_of_work
from central.reports import service
from central.reports.filters import Filters
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from tests.central.auth.factories import make_sede
from tests.central.reconciliation.builders import SedeDay, push_rows

NOW = dt.datetime(2026, 11, 30, 4, 59, tzinfo=dt.UTC)
DAYS = [dt.date(2026, 11, 26) + dt.timedelta(days=k) for k in range(4)]
S01, S02, S03 = sede_id_for("S01"), sede_id_for("S02"), sede_id_for("S03")

# The implementation before rpt_patient_day, verbatim but for the parameter style: the
# patients analysis and the dashboard chart over the raw order rows.
_RAW_AGE = (
    "CASE WHEN p.birth_date IS NULL THEN 'sin dato' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '12 years' THEN '0-11' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '18 years' THEN '12-17' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '30 years' THEN '18-29' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '45 years' THEN '30-44' "
    "WHEN age(o.business_date::date, p.birth_date) < interval '60 years' THEN '45-59' "
    "ELSE '60+' END"
)


def raw_analysis(rt: HubRuntime, f: Filters) -> list[dict[str, Any]]:
    base = (
        "WITH o AS (SELECT r.business_date, r.payload->>'patient_id' AS pid FROM sync_record r "
        "WHERE r.record_type = 'order' AND r.op <> 'delete' AND r.payload->>'status' <> 'anulada' "
        f"AND {f.where('r.business_date', 'r.sede_id')}) "
    )
    params = f.params() | {"f": f.date_from.isoformat(), "t": f.date_to.isoformat()}
    segments = [
        ("tipo", "CASE WHEN pf.first_date >= CAST(:f AS date) THEN 'nuevo' ELSE 'recurrente' END"),
        ("edad", _RAW_AGE),
        ("sexo", "coalesce(p.sex, 'sin dato')"),
    ]
    out: list[dict[str, Any]] = []
    with rt.engine.connect() as conn:
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
    return out


def raw_split(rt: HubRuntime, f: Filters) -> dict[str, int]:
    with rt.engine.connect() as conn:
        sedes = f.sede_ids
        if sedes is None:
            sedes = [str(r[0]) for r in conn.execute(text("SELECT id FROM sede"))]
        rows = conn.execute(
            text(
                "SELECT CASE WHEN pf.first_date >= CAST(:f AS date) THEN 'nuevo' "
                "ELSE 'recurrente' END, count(*) FROM (SELECT DISTINCT "
                "r.payload->>'patient_id' AS pid FROM sync_record r WHERE r.record_type = 'order' "
                "AND r.op <> 'delete' AND r.sede_id = ANY(:s) AND r.business_date >= :f "
                "AND r.business_date <= :t AND r.payload->>'status' <> 'anulada') o "
                "LEFT JOIN rpt_patient_first pf ON pf.patient_id = o.pid GROUP BY 1"
            ),
            {"f": f.date_from.isoformat(), "t": f.date_to.isoformat(), "s": sedes},
        )
        return {"nuevo": 0, "recurrente": 0} | {str(k): int(n) for k, n in rows}


@pytest.fixture
def rt(hub_runtime: HubRuntime) -> Iterator[HubRuntime]:
    hub_runtime.clock = FixedClock(NOW)
    for code in ("S01", "S02", "S03"):
        make_sede(hub_runtime, code)
    yield hub_runtime


def add_patients(rt: HubRuntime, ids: list[str], rnd: random.Random) -> None:
    """Hub patients for most ids (some without birth date or sex, one missing altogether)."""
    with rt.engine.begin() as conn:
        for k, pid in enumerate(ids[:-1]):
            birth = None if k % 5 == 0 else dt.date(1950 + rnd.randint(0, 74), 1 + k % 12, 15)
            conn.execute(
                text(
                    "INSERT INTO hub_patient (id, doc_type, doc_number, first_names, last_names, "
                    "birth_date, sex, home_sede_id, created_at, updated_at, field_hlc, "
                    "field_node) VALUES (:id, '1', :doc, 'Ana', 'Quispe', :b, :s, :h, now(), "
                    "now(), '{}', '{}')"
                ),
                {"id": pid, "doc": f"{40000000 + k}", "b": birth,
                 "s": [None, "F", "M"][k % 3], "h": S01},
            )  # fmt: skip


def generate(rt: HubRuntime, seed: int) -> list[SedeDay]:
    """Three sedes × four days of orders among 20 patients, then later pushes: cancellations
    (one undone), an earlier order of a patient arriving late, a deletion, a re-delivery."""
    rnd = random.Random(seed)
    patients = [new_id() for _ in range(20)]
    add_patients(rt, patients, rnd)
    days: list[SedeDay] = []
    for day in DAYS[1:]:  # the first day's orders arrive late (below)
        for code in ("S01", "S02", "S03"):
            b = SedeDay(rt.engine, code, day)
            for _ in range(rnd.randint(3, 7)):
                status = rnd.choice(["registrada", "entregada", "entregada", "anulada"])
                b.order(f"{rnd.randint(10, 90)}.00", patient_id=rnd.choice(patients), status=status)
            b.push([("order", o) for o in b.orders])
            days.append(b)
    for b in days:  # later pushes of the same records: cancellations, and one undone
        for o in rnd.sample(b.orders, 2):
            o["status"] = "anulada" if o["status"] != "anulada" else "entregada"
        push_rows(rt.engine, [("order", o) for o in b.orders], node_id=b.node_id)
    late = SedeDay(rt.engine, "S02", DAYS[0])
    for pid in rnd.sample(patients, 6):  # these patients' first order moves a day earlier
        late.order("25.00", patient_id=pid, status=rnd.choice(["entregada", "anulada"]))
    late.push([("order", o) for o in late.orders])
    days.append(late)
    gone = days[0].orders[0]
    with rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_record WHERE id = :i"), {"i": gone["id"]})
    days[1].push([("order", o) for o in days[1].orders])  # a batch delivered twice
    return days


FILTERS = [
    Filters(start, end, sedes)
    for start in DAYS
    for end in DAYS
    if start <= end
    for sedes in (None, [S01], [S02], [S01, S03])
]


@pytest.mark.parametrize("seed", [1, 2])
def test_projection_equals_the_raw_computation(rt: HubRuntime, seed: int) -> None:
    generate(rt, seed)
    with unit_of_work(rt.engine) as session:
        got = [
            (service.patient_split(session=session, filters=f),
             service.patients_analysis(session, f, 10).rows)
            for f in FILTERS
        ]  # fmt: skip
    want = [(raw_split(rt, f), raw_analysis(rt, f)) for f in FILTERS]
    assert got == want
    # the data exercises both kinds, cancellations and every segment
    assert any(split["nuevo"] and split["recurrente"] for split, _ in got)
    assert {r["segment"] for r in got[0][1]} == {"tipo", "edad", "sexo"}
    with rt.engine.connect() as conn:
        zero = conn.execute(text("SELECT count(*) FROM rpt_patient_day WHERE orders = 0"))
        assert zero.scalar_one() > 0  # visits cancelled after being counted


def test_a_rebuild_gives_the_same_projection(rt: HubRuntime) -> None:
    generate(rt, 3)
    sql = "SELECT * FROM rpt_patient_day WHERE orders <> 0 ORDER BY 1, 2, 3"
    with rt.engine.connect() as conn:
        before = [tuple(r) for r in conn.execute(text(sql))]
    with unit_of_work(rt.engine) as session:
        service.rebuild(session=session)
    with rt.engine.connect() as conn:
        after = [tuple(r) for r in conn.execute(text(sql))]
        stale = conn.execute(
            text(
                "SELECT count(*) FROM rpt_patient_day d JOIN rpt_patient_first pf "
                "ON pf.patient_id = d.patient_id WHERE d.first_date <> pf.first_date"
            )
        ).scalar_one()
    assert before and before == after and stale == 0


def test_an_earlier_order_arriving_late_makes_the_patient_new_earlier(rt: HubRuntime) -> None:
    pid = new_id()
    day2 = SedeDay(rt.engine, "S01", DAYS[2])
    day2.push([("order", day2.order("30.00", patient_id=pid))])
    period = Filters(DAYS[1], DAYS[3], None)
    with unit_of_work(rt.engine) as session:
        assert service.patient_split(session=session, filters=period)["nuevo"] == 1
    day0 = SedeDay(rt.engine, "S02", DAYS[0])  # another sede, an earlier day, pushed later
    day0.push([("order", day0.order("30.00", patient_id=pid))])
    with unit_of_work(rt.engine) as session:
        split = service.patient_split(session=session, filters=period)
    assert split == {"nuevo": 0, "recurrente": 1}
    with rt.engine.connect() as conn:
        firsts = conn.execute(text("SELECT DISTINCT first_date FROM rpt_patient_day")).all()
    assert firsts == [(DAYS[0],)]


def test_a_visit_cancelled_later_no_longer_counts(rt: HubRuntime) -> None:
    b = SedeDay(rt.engine, "S01", DAYS[3])
    only = b.order("30.00")
    b.push([("order", only)])
    period = Filters(DAYS[3], DAYS[3], [S01])
    with unit_of_work(rt.engine) as session:
        assert service.patient_split(session=session, filters=period)["nuevo"] == 1
    only["status"] = "anulada"
    b.push([("order", only)])
    with unit_of_work(rt.engine) as session:
        split = service.patient_split(session=session, filters=period)
        table = service.patients_analysis(session, period, 10)
    assert split == {"nuevo": 0, "recurrente": 0} and table.rows == []


def test_a_patient_whose_age_band_changes_in_the_period_counts_in_both(rt: HubRuntime) -> None:
    pid = new_id()
    birth = DAYS[2].replace(year=DAYS[2].year - 18)  # turns 18 in the middle of the period
    with rt.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO hub_patient (id, doc_type, doc_number, first_names, last_names, "
                "birth_date, sex, home_sede_id, created_at, updated_at, field_hlc, field_node) "
                "VALUES (:id, '1', '45678912', 'Luz', 'Mamani', :b, 'F', :h, now(), now(), "
                "'{}', '{}')"
            ),
            {"id": pid, "b": birth, "h": S01},
        )
    for day in (DAYS[0], DAYS[1], DAYS[3]):
        b = SedeDay(rt.engine, "S01", day)
        b.push([("order", b.order("30.00", patient_id=pid))])
    for sedes in (None, [S01], [S01, S02]):
        f = Filters(DAYS[1], DAYS[3], sedes)
        with unit_of_work(rt.engine) as session:
            rows = service.patients_analysis(session, f, 10).rows
        assert rows == raw_analysis(rt, f)
        edad = {r["label"]: (r["patients"], r["orders"]) for r in rows if r["segment"] == "edad"}
        assert edad == {"12-17": (1, 1), "18-29": (1, 1)}
        tipo = [(r["label"], r["patients"], r["orders"]) for r in rows if r["segment"] == "tipo"]
        assert tipo == [("recurrente", 1, 2)]
