"""A hub with many sedes for the dashboard's pages: sedes inserted in no particular order, a node
per sede, three users per sede, ~30 days of sales in ``sync_record`` (built by PostgreSQL, then
the summary tables rebuilt) and a closure per sede and day. Used by the 100-sede browser tests
(built once per module) and by a by-hand measurement of the pages with 6 and 100 sedes."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from central.auth.models import HubUser
from central.config.models import Sede
from central.config.service import default_series
from central.db import unit_of_work
from central.reports import service as reports
from central.runtime import HubRuntime
from central.seed import seed_demo
from central.settings import HubSettings
from central.sync.models import Node
from domain.clock import FixedClock, business_date
from domain.ids import sede_id_for
from domain.permissions import Role

CITIES = (
    "Arequipa", "Cusco", "Trujillo", "Chiclayo", "Piura", "Iquitos", "Huancayo", "Tacna", "Puno",
    "Ica", "Cajamarca", "Ayacucho", "Pucallpa", "Tumbes", "Huaraz", "Chimbote", "Juliaca",
    "Moquegua", "Tarapoto", "Huánuco",
)  # fmt: skip
DAYS = 30
NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
SUPERVISOR = "supervisora.tres"


def sede_code(k: int) -> str:
    return f"S{k:02d}" if k < 100 else f"S{k}"


def sede_name(k: int) -> str:
    return f"Sede {CITIES[k % len(CITIES)]} {k}"


@dataclass(frozen=True)
class ManySedes:
    runtime: HubRuntime
    sedes: int
    supervisor_sedes: tuple[str, ...]  # codes


@contextlib.contextmanager
def hub_database(pg_base_url: str, template: str) -> Iterator[str]:
    """A database cloned from the migrated template, dropped at the end."""
    name = f"labred_m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(pg_base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build(
    settings: HubSettings, *, sedes: int, password: str, orders_per_day: int = 20
) -> ManySedes:
    """Fill the (migrated, empty) hub database of ``settings``; the runtime's clock is fixed."""
    rt = HubRuntime.open(settings)
    rt.clock = FixedClock(NOW)
    today = business_date(NOW)
    first = today - dt.timedelta(days=DAYS)
    with unit_of_work(rt.engine) as session:
        seed_demo(session, clock=rt.clock, sedes=min(sedes, 6), admin_password=password)
    order = list(range(7, sedes + 1))
    random.Random(7).shuffle(order)  # created over the years: not by code
    with unit_of_work(rt.engine) as session:
        admin = session.exec(_user("admin")).one()  # type: ignore[call-overload]
        for k in order:
            session.add(Sede(id=sede_id_for(sede_code(k)), code=sede_code(k), name=sede_name(k),
                             address=f"Av. Principal {k}", ubigeo="150101",
                             establishment_code=f"{k:04d}", series=default_series(k),
                             updated_at=NOW))  # fmt: skip
        session.flush()
        every = [sede_id_for(sede_code(k)) for k in range(1, sedes + 1)]
        admin.sede_ids = every
        chosen = tuple(sede_code(k) for k in (3, 47, sedes) if k <= sedes)
        session.add(HubUser(username=SUPERVISOR, full_name="Supervisora de tres sedes",
                            role=Role.SUPERVISOR.value, password_hash=admin.password_hash,
                            sede_ids=[sede_id_for(c) for c in chosen], updated_at=NOW))  # fmt: skip
        for k in range(7, sedes + 1):
            sid = sede_id_for(sede_code(k))
            for role in (Role.SUPERVISOR, Role.RECEPCIONISTA, Role.LABORATORISTA):
                name = f"{role.value}.{sede_code(k).lower()}"
                session.add(HubUser(username=name, full_name=f"{role.value.title()} {sede_code(k)}",
                                    role=role.value, password_hash=admin.password_hash,
                                    sede_ids=[sid], updated_at=NOW))  # fmt: skip
        for k in range(1, sedes + 1):
            seen = NOW - dt.timedelta(minutes=k % 17)
            session.add(Node(sede_id=sede_id_for(sede_code(k)), name=f"caja-{sede_code(k).lower()}",
                             epoch=1, enrolled_at=NOW - dt.timedelta(days=90), last_seen_at=seen,
                             last_push_at=seen, last_pull_at=seen, app_version="1.4.2",
                             schema_version=1, protocol_version=1,
                             reported_backlog=k % 13 == 0 and 5 or 0, created_at=NOW))  # fmt: skip
    n = sedes * DAYS * orders_per_day
    common = (
        "(SELECT array_agg(id ORDER BY code) FROM sede)[1 + (i % :s)] AS sede, "
        "(CAST(:first AS date) + ((i / :s) % :days)::int) AS day"
    )
    payloads = (
        ("order", n, "jsonb_build_object('id', 'o' || i, 'sede_id', sede, 'business_date', "
         "day::text, 'number', 'N-' || i, 'patient_id', 'p' || (i % 40000), 'status', "
         "(ARRAY['registrada','entregada','entregada','anulada'])[1 + (i % 4)], 'subtotal', "
         "3000 + (i % 9000), 'discount_total', 0, 'total', 3000 + (i % 9000), 'covered_total', 0, "
         "'paid_total', 3000 + (i % 9000), 'balance', 0, 'cashier_id', 'c' || (i % 3))"),
        ("payment", n, "jsonb_build_object('id', 'p' || i, 'sede_id', sede, 'business_date', "
         "day::text, 'order_id', 'o' || i, 'method', (ARRAY['efectivo','tarjeta','yape','plin'])"
         "[1 + i % 4], 'amount', 3000 + (i % 9000), 'cashier_id', 'c' || (i % 3))"),
        ("order_item", n, "jsonb_build_object('id', 'i' || i, 'sede_id', sede, 'business_date', "
         "day::text, 'order_id', 'o' || i, 'service_id', 'svc-' || (i % 40), 'service_code', "
         "'C' || (i % 40), 'service_name', 'Servicio ' || (i % 40), 'quantity', 1, "
         "'line_total', 3000 + (i % 9000))"),
    )  # fmt: skip
    with rt.engine.begin() as conn:
        conn.execute(text("ALTER TABLE sync_record DISABLE TRIGGER USER"))
        for rtype, count, payload in payloads:
            conn.execute(
                text(
                    "INSERT INTO sync_record (record_type, id, sede_id, business_date, hlc, op, "
                    "payload, node_id, epoch, seq, tx_id, late, received_at) "
                    f"SELECT '{rtype}', {payload}->>'id', sede, day::text, 'h', 'upsert', "
                    f"{payload}, 'n', 0, i, 't', false, now() FROM (SELECT i, {common} "
                    "FROM generate_series(1, :n) AS i) g"
                ),
                {"s": sedes, "first": first, "days": DAYS, "n": count},
            )
        conn.execute(text("ALTER TABLE sync_record ENABLE TRIGGER USER"))
        conn.execute(
            text(
                "INSERT INTO recon_closure (id, sede_id, business_date, status, figures, "
                "seal_figures, method_totals, adjusted_figures, late_adjustments, "
                "has_late_adjustments, discrepancy_count, critical_count, closed_at, "
                "executed_at, executed_by, runs, reopen_count, created_at, updated_at) "
                "SELECT gen_random_uuid()::text, s.id, d::date, CASE WHEN random() < 0.1 "
                "THEN 'with_discrepancies' ELSE 'reconciled' END, '{}', '{}', '{}', '{}', '[]', "
                "false, 0, 0, now(), now(), 'sistema', 1, 0, now(), now() FROM sede s, "
                "generate_series(CAST(:first AS date), CAST(:first AS date) + :last, "
                "interval '1 day') d"
            ),
            {"first": first, "last": DAYS - 1},
        )
    with unit_of_work(rt.engine) as session:
        reports.rebuild(session=session)
    return ManySedes(rt, sedes, chosen)


def _user(username: str) -> object:
    from sqlmodel import select

    return select(HubUser).where(HubUser.username == username)
