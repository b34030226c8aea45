"""Helpers for order tests: a demo catalog, patients, users with an open cash session."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from domain.catalog_data import catalog_id_for
from domain.clock import SystemClock, business_date
from domain.permissions import Role
from edge.auth.models import User
from edge.cash.models import CashSession
from edge.catalog.demo import load_demo_catalog
from edge.db import unit_of_work
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.sync import apply
from sync.protocol import FeedChange
from tests.edge.factories import SEDE_S01, make_user, token_for

_dni = iter(range(40000000, 49999999))


def sid(code: str) -> str:
    """Id of a demo catalog service by code."""
    return catalog_id_for("service", code)


def conv(code: str) -> str:
    return catalog_id_for("convenio", code)


def load_catalog(rt: EdgeRuntime) -> None:
    with unit_of_work(rt.engine) as session:
        load_demo_catalog(session, clock=SystemClock())


def make_patient(rt: EdgeRuntime, **overrides: Any) -> Patient:
    now = dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {
        "doc_type": "1",
        "doc_number": str(next(_dni)),
        "first_names": "MARÍA JOSEFINA",
        "last_names": "ÑAHUI QUISPE",
        "home_sede_id": SEDE_S01,
        "created_at": now,
        "updated_at": now,
    }
    values.update(overrides)
    patient = Patient(**values)
    with unit_of_work(rt.engine) as session:
        session.add(patient)
    return patient


def open_cash(rt: EdgeRuntime, user: User) -> None:
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(rt.engine) as session:
        session.add(
            CashSession(
                sede_id=SEDE_S01,
                cashier_id=user.id,
                opening_float=Decimal("100.00"),
                opened_at=now,
                business_date=business_date(now),
            )
        )


def seller(
    rt: EdgeRuntime, role: Role | str = Role.RECEPCIONISTA, *, cash: bool = True, **kw: Any
) -> tuple[User, dict[str, str]]:
    user = make_user(rt, role, **kw)
    if cash:
        open_cash(rt, user)
    return user, {"Authorization": f"Bearer {token_for(rt, user)}"}


def sell(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    r = client.post("/api/orders", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def count_rows(rt: EdgeRuntime, table: str) -> int:
    with rt.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def detail(body: Any) -> tuple[str, list[Any]]:
    first = body["detail"][0]
    return first["type"], first["loc"]


_setting_cursor = iter(range(1, 1_000_000))


def pull_setting(rt: EdgeRuntime, key: str, value: Any) -> None:
    """Apply the hub's ``setting`` record ``key`` = ``value`` as a pull page does (its wire
    form: the value as JSON, whatever it is)."""
    now = SystemClock().now()
    record_id = f"set-{key}"
    change = FeedChange(
        cursor=next(_setting_cursor),
        tx_id="t-setting",
        record_type="setting",
        record_id=record_id,
        op="upsert",
        payload={"id": record_id, "key": key, "value": value, "updated_at": now.isoformat()},
        schema_version=1,
    )
    with unit_of_work(rt.engine) as session:
        assert apply.apply_change(session.connection(), change, now=now)
