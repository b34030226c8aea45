"""The simulation's actors: an edge's state as the simulation knows it, and the work done on
the edges (patients registered and edited, sales with their items, payments and invoice numbers,
order status changes) and on the hub (catalog and user edits under a stepped clock). Mixed into
:class:`tests.sync.sim.Simulation`; every choice is drawn from the simulation's one ``rng``."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import col, select

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from domain.clock import business_date
from domain.ids import new_id
from edge.db import unit_of_work
from edge.orders.models import Order, OrderItem, Payment
from edge.patients.models import Patient
from sync import outbox
from sync.client import SyncClient
from tests.sync.sim_network import SimClock


@dataclass
class Edge:
    name: str
    code: str
    sede_id: str
    data_dir: Path
    clock: SimClock
    engine: Engine
    client: SyncClient | None = None
    committed: set[tuple[str, str]] = field(default_factory=set)
    patients: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    series_next: dict[str, int] = field(default_factory=dict)
    order_seq: int = 0


class Actors:
    """Workload steps of the simulation (state lives on the :class:`Simulation`)."""

    rng: random.Random
    docs: list[str]
    doc_sedes: defaultdict[str, set[str]]
    hub_rt: HubRuntime
    hub_clock: SimClock

    def _use(self, edge: Edge) -> None:
        outbox.set_clock(edge.clock)

    def new_patient(self, edge: Edge) -> None:
        self._use(edge)
        shared = [d for d in self.docs if edge.sede_id not in self.doc_sedes[d]]
        doc = (
            self.rng.choice(shared)
            if shared and self.rng.random() < 0.3
            else f"{self.rng.randrange(10**7, 10**8)}"
        )
        with unit_of_work(edge.engine) as s:
            held = s.exec(
                select(Patient).where(
                    Patient.doc_number == doc, col(Patient.canonical_id).is_(None)
                )
            ).first()
            if held is not None:
                return
            now = edge.clock.now()
            p = Patient(
                doc_type="1",
                doc_number=doc,
                first_names=self.rng.choice(["Ana", "Luis", "Rosa"]),
                last_names="Quispe",
                home_sede_id=edge.sede_id,
                phone=str(self.rng.randrange(900000000, 999999999)),
                created_at=now,
                updated_at=now,
            )
            s.add(p)
        edge.committed.add(("patient", p.id))
        edge.patients.append(p.id)
        if doc not in self.doc_sedes:
            self.docs.append(doc)
        self.doc_sedes[doc].add(edge.sede_id)

    def edit_patient(self, edge: Edge) -> None:
        self._use(edge)
        with unit_of_work(edge.engine) as s:
            rows = s.exec(select(Patient).where(col(Patient.canonical_id).is_(None))).all()
            if not rows:
                return
            p = self.rng.choice(sorted(rows, key=lambda x: x.id))
            p.phone = str(self.rng.randrange(900000000, 999999999))
            p.updated_at = edge.clock.now()
            s.add(p)
        edge.committed.add(("patient", p.id))

    def sale(self, edge: Edge) -> None:
        self._use(edge)
        with unit_of_work(edge.engine) as s:
            rows = s.exec(select(Patient.id).where(col(Patient.canonical_id).is_(None))).all()
            if not rows:
                return
            pid = self.rng.choice(sorted(rows))
            now = edge.clock.now()
            day = business_date(now)
            edge.order_seq = (
                s.exec(select(Order.id).where(Order.sede_id == edge.sede_id)).all().__len__()
            ) + 1
            n_items = self.rng.randint(1, 3)
            prices = [Decimal(self.rng.randrange(1000, 9000)) / 100 for _ in range(n_items)]
            total = sum(prices, Decimal("0"))
            order = Order(
                sede_id=edge.sede_id,
                number=f"{edge.code}-{uuid.uuid4().hex[:12]}",
                patient_id=pid,
                subtotal=total,
                total=total,
                paid_total=total,
                balance=Decimal("0"),
                cashier_id="c",
                business_date=day,
                created_at=now,
                updated_at=now,
            )
            s.add(order)
            s.flush()
            recs = [("order", order.id)]
            for price in prices:
                item = OrderItem(
                    order_id=order.id,
                    sede_id=edge.sede_id,
                    service_id="svc",
                    service_code="T0",
                    service_name="Prueba",
                    unit_price=price,
                    list_price=price,
                    line_total=price,
                    catalog_version=1,
                    business_date=day,
                    created_at=now,
                )
                s.add(item)
                recs.append(("order_item", item.id))
            pay = Payment(
                order_id=order.id,
                sede_id=edge.sede_id,
                method="efectivo",
                amount=total,
                cashier_id="c",
                business_date=day,
                created_at=now,
            )
            s.add(pay)
            recs.append(("payment", pay.id))
            series = f"B00{edge.code[-1]}"
            last = (
                s.connection()
                .execute(
                    text(
                        "SELECT max(CAST(json_extract(payload, '$.number') AS INTEGER)) "
                        "FROM sync_outbox WHERE record_type = 'invoice' "
                        "AND json_extract(payload, '$.series') = :s"
                    ),
                    {"s": series},
                )
                .scalar()
            )
            inv_id = new_id()
            outbox.record_change(
                s,
                record_type="invoice",
                record_id=inv_id,
                payload={
                    "id": inv_id,
                    "sede_id": edge.sede_id,
                    "series": series,
                    "number": int(last or 0) + 1,
                    "order_id": order.id,
                    "total_cents": int(total * 100),
                    "business_date": day.isoformat(),
                },
                business_date=day.isoformat(),
            )
            recs.append(("invoice", inv_id))
        edge.committed.update(recs)
        edge.orders.append(order.id)

    def update_order(self, edge: Edge) -> None:
        if not edge.orders:
            return
        self._use(edge)
        oid = self.rng.choice(edge.orders)
        with unit_of_work(edge.engine) as s:
            order = s.get(Order, oid)
            assert order is not None
            order.status = self.rng.choice(["en_proceso", "resultados", "entregada"])
            order.updated_at = edge.clock.now()
            s.add(order)

    def hub_write(self) -> None:
        from central.auth.models import HubUser
        from central.catalog.models import CatalogService

        if self.rng.random() < 0.6:  # the hub's clock is stepped by NTP
            self.hub_clock.offset = dt.timedelta(seconds=self.rng.uniform(-600, 600))
        with hub_uow(self.hub_rt.engine) as s:
            now = self.hub_clock.now()
            services = s.exec(select(CatalogService).order_by(CatalogService.code)).all()
            for svc in self.rng.sample(list(services), k=min(2, len(services))):
                svc.price_cents += self.rng.choice([-100, 100, 250])
                svc.updated_at = now
                s.add(svc)
            if self.rng.random() < 0.5:
                s.add(
                    HubUser(
                        username=f"u{uuid.uuid4().hex[:8]}",
                        full_name="Nuevo",
                        role="laboratorista",
                        password_hash="x",
                        sede_ids=[],
                        updated_at=now,
                    )
                )
            if self.rng.random() < 0.3:
                s.add(
                    CatalogService(
                        code=f"N{uuid.uuid4().hex[:6]}",
                        name="Nueva",
                        price_cents=2000,
                        updated_at=now,
                    )
                )
