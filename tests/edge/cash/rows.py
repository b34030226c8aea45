"""Plain helpers writing the rows cash and samples tests need (orders are another engineer's
service; these insert the tables directly, as the sale transaction would)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from domain.clock import FixedClock, business_date
from domain.ids import new_id
from domain.permissions import Role
from edge.auth.models import User
from edge.auth.tokens import Principal
from edge.catalog.models import CatalogService
from edge.db import unit_of_work
from edge.orders.models import Order, OrderItem, OrderStatusEvent, Payment
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from tests.edge.factories import PASSWORD, SEDE_S01, make_user, token_for

# 2026-11-29 15:00 in Lima.
NOON = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)
DAY = business_date(NOON)


def fixed_clock(rt: EdgeRuntime, start: dt.datetime = NOON) -> FixedClock:
    clock = FixedClock(start)
    rt.clock = clock
    return clock


class Actor:
    """A user with its bearer headers and principal."""

    def __init__(self, rt: EdgeRuntime, role: Role, **kwargs: Any) -> None:
        self.user: User = make_user(rt, role, **kwargs)
        self.password = PASSWORD
        self.headers = {"Authorization": f"Bearer {token_for(rt, self.user)}"}
        self.principal = Principal(
            user_id=self.user.id,
            username=self.user.username,
            full_name=self.user.full_name,
            role=Role(self.user.role),
            sede_ids=list(self.user.sede_ids),
        )

    @property
    def id(self) -> str:
        return self.user.id


def add_patient(rt: EdgeRuntime, *, doc: str | None = None, now: dt.datetime = NOON) -> Patient:
    patient = Patient(
        doc_type="1",
        doc_number=doc or str(40000000 + int(new_id()[-6:], 16) % 9999999),
        first_names="Rosa Elena",
        last_names="Quispe Mamani",
        home_sede_id=SEDE_S01,
        created_at=now,
        updated_at=now,
    )
    with unit_of_work(rt.engine) as session:
        session.add(patient)
    return patient


_SEQ = {"n": 0}


def add_order(
    rt: EdgeRuntime,
    *,
    cashier_id: str,
    patient: Patient | None = None,
    items: list[tuple[str, str, str, str]] | None = None,
    panel: tuple[str, str, list[tuple[str, str, str, str]]] | None = None,
    status: str = "registrada",
    day: dt.date = DAY,
    now: dt.datetime = NOON,
) -> Order:
    """An order with items ``(code, sample_type, tube, price)`` and an optional panel
    ``(code, price, member items)``."""
    patient = patient or add_patient(rt, now=now)
    items = items if items is not None else [("GLU", "suero", "tubo rojo", "15.00")]
    _SEQ["n"] += 1
    total = sum((Decimal(p) for *_, p in items), Decimal("0.00"))
    if panel:
        total += Decimal(panel[1])
    order = Order(
        sede_id=SEDE_S01,
        number=f"S01-{day:%Y%m%d}-{_SEQ['n']:04d}",
        patient_id=patient.id,
        status=status,
        subtotal=total,
        total=total,
        balance=total,
        cashier_id=cashier_id,
        business_date=day,
        created_at=now,
        updated_at=now,
    )
    with unit_of_work(rt.engine) as session:
        session.add(order)
        session.flush()

        def item(code: str, st: str, tube: str, price: str, parent: str | None = None) -> OrderItem:
            row = OrderItem(
                order_id=order.id,
                sede_id=SEDE_S01,
                service_id=new_id(),
                service_code=code,
                service_name=f"Examen {code}",
                parent_item_id=parent,
                unit_price=Decimal(price),
                list_price=Decimal(price),
                line_total=Decimal(price),
                catalog_version=1,
                sample_type=st,
                tube=tube,
                business_date=day,
                created_at=now,
            )
            session.add(row)
            session.flush()
            return row

        for code, st, tube, price in items:
            item(code, st, tube, price)
        if panel:
            head = item(panel[0], "", "", panel[1])
            for code, st, tube, _price in panel[2]:
                item(code, st, tube, "0.00", parent=head.id)
        if status == "anulada":
            session.add(
                OrderStatusEvent(
                    order_id=order.id,
                    sede_id=SEDE_S01,
                    from_status="registrada",
                    to_status="anulada",
                    reason="Paciente desistió",
                    user_id=cashier_id,
                    business_date=day,
                    created_at=now,
                )
            )
    return order


def add_payment(
    rt: EdgeRuntime,
    *,
    order: Order,
    method: str,
    amount: str,
    cashier_id: str,
    cash_session_id: str | None = None,
    day: dt.date = DAY,
    now: dt.datetime = NOON,
) -> Payment:
    payment = Payment(
        order_id=order.id,
        sede_id=SEDE_S01,
        method=method,
        amount=Decimal(amount),
        cash_session_id=cash_session_id,
        cashier_id=cashier_id,
        business_date=day,
        created_at=now,
    )
    with unit_of_work(rt.engine) as session:
        session.add(payment)
    return payment


def add_catalog_service(
    rt: EdgeRuntime, *, code: str, sample_type: str = "", tube: str = "", is_panel: bool = False
) -> CatalogService:
    service = CatalogService(
        id=new_id(),
        code=code,
        name=f"Servicio {code}",
        sample_type=sample_type,
        tube=tube,
        price_cents=1000,
        is_panel=is_panel,
        updated_at=NOON,
    )
    with unit_of_work(rt.engine) as session:
        session.add(service)
    return service
