"""Realistic ``sync_record`` rows of a sede's day, written the way the hub ingest writes them.

``SedeDay`` builds edge row images (money in céntimos, dates ISO) for orders, items, payments,
invoices, cash sessions, samples and the day seal (its figures computed like the edge's
``edge.cash.seal.figures``), and ``push`` upserts them into ``sync_record`` with
``INSERT ... ON CONFLICT DO UPDATE`` exactly like ``central.sync.service.ingest``, so the
statement-level triggers see inserts and updates as in production.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central.sync.models import SyncRecord
from domain.ids import new_id, sede_id_for

_SR = SyncRecord.__table__  # type: ignore[attr-defined]
_seq = itertools.count(1)
DAY = dt.date(2026, 11, 29)
T0 = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
CASHIER = "01935f6c-0000-7000-8000-00000000c001"


def cents(amount: str) -> int:
    whole, _, frac = amount.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2]) * (-1 if amount.startswith("-") else 1)


class SedeDay:
    def __init__(
        self, engine: Engine, code: str = "S01", day: dt.date = DAY, node_id: str | None = None
    ) -> None:
        self.engine = engine
        self.code = code
        self.sede_id = sede_id_for(code)
        self.day = day
        self.node_id = node_id or f"node-{code}"
        self.orders: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.series_next: dict[str, int] = defaultdict(lambda: 1)
        self.last_seq = 0

    # ------------------------------------------------------------------ row images
    def _base(self) -> dict[str, Any]:
        return {"id": new_id(), "sede_id": self.sede_id, "business_date": self.day.isoformat()}

    def order(
        self,
        total: str = "50.00",
        *,
        status: str = "registrada",
        paid: str | None = None,
        covered: str = "0.00",
        discount: str = "0.00",
        cashier: str = CASHIER,
        patient_id: str | None = None,
        convenio_id: str | None = None,
        services: list[tuple[str, str, str]] | None = None,
        document_type: str = "03",
    ) -> dict[str, Any]:
        t, c, d = cents(total), cents(covered), cents(discount)
        p = cents(paid) if paid is not None else t - c
        row = self._base() | {
            "number": f"{self.code}-{self.day:%Y%m%d}-{len(self.orders) + 1:04d}",
            "patient_id": patient_id or new_id(),
            "convenio_id": convenio_id,
            "status": status,
            "subtotal": t + d,
            "discount_total": d,
            "total": t,
            "covered_total": c,
            "paid_total": p,
            "balance": t - c - p,
            "document_type": document_type,
            "cashier_id": cashier,
            "created_at": T0.isoformat(),
            "updated_at": T0.isoformat(),
        }
        self.orders.append(row)
        for code, name, price in services or [("HEM01", "Hemograma completo", total)]:
            self.items.append(
                self._base() | {
                    "order_id": row["id"], "service_id": f"svc-{code}", "service_code": code,
                    "service_name": name, "parent_item_id": None, "quantity": 1,
                    "unit_price": cents(price), "list_price": cents(price), "discount": 0,
                    "line_total": cents(price), "created_at": T0.isoformat(),
                }
            )  # fmt: skip
        return row

    def payment(
        self, order: dict[str, Any], amount: str | None = None, *, method: str = "efectivo",
        session_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        row = self._base() | {
            "order_id": order["id"],
            "method": method,
            "amount": cents(amount) if amount is not None else order["paid_total"],
            "cash_session_id": session_id,
            "cashier_id": order["cashier_id"],
            "created_at": T0.isoformat(),
        }
        self.payments.append(row)
        return row

    def invoice(
        self,
        order: dict[str, Any] | None,
        *,
        doc_type: str = "03",
        series: str = "B001",
        number: int | None = None,
        state: str = "aceptado",
        total: int | None = None,
        deadline: dt.date | None = None,
    ) -> dict[str, Any]:
        n = number if number is not None else self.series_next[series]
        self.series_next[series] = max(self.series_next[series], n + 1)
        amount = total if total is not None else (order["paid_total"] if order else 1000)
        row = self._base() | {
            "doc_type": doc_type, "series": series, "number": n,
            "order_id": order["id"] if order else None, "state": state, "total": amount,
            "igv": amount * 18 // 118, "deadline": (deadline or self.day + dt.timedelta(days=3))
            .isoformat(), "sunat_code": "0" if state == "aceptado" else None,
            "issued_at": T0.isoformat(),
        }  # fmt: skip
        self.invoices.append(row)
        return row

    def cash_session(
        self, expected: dict[str, int], declared: dict[str, int], *, status: str = "cerrada",
        cashier: str = CASHIER,
    ) -> dict[str, Any]:  # fmt: skip
        row = self._base() | {
            "cashier_id": cashier, "status": status, "expected": expected,
            "declared": declared,
            "difference_cents": sum(declared.values()) - sum(expected.values()),
        }  # fmt: skip
        self.sessions.append(row)
        return row

    def sample(self, order: dict[str, Any]) -> dict[str, Any]:
        row = self._base() | {"order_id": order["id"], "tube": "lila"}
        self.samples.append(row)
        return row

    def figures(self) -> dict[str, Any]:
        """The seal's figures, computed like the edge does."""

        def bucket(rows: list[dict[str, Any]], key: str, amount: str) -> dict[str, Any]:
            out: dict[str, dict[str, int]] = {}
            for r in rows:
                slot = out.setdefault(r[key], {"count": 0, "total_cents": 0})
                slot["count"] += 1
                slot["total_cents"] += r[amount]
            return dict(sorted(out.items()))

        return {
            "orders": {"count": len(self.orders),
                       "total_cents": sum(o["total"] for o in self.orders),
                       "by_status": bucket(self.orders, "status", "total")},
            "payments": {"count": len(self.payments),
                         "total_cents": sum(p["amount"] for p in self.payments),
                         "by_method": bucket(self.payments, "method", "amount")},
            "invoices": {"available": True, "count": len(self.invoices),
                         "total_cents": sum(i["total"] for i in self.invoices),
                         "by_type": bucket(self.invoices, "doc_type", "total"),
                         "by_state": bucket(self.invoices, "state", "total")},
            "cash_sessions": {"count": len(self.sessions),
                              "open": sum(1 for s in self.sessions if s["status"] != "cerrada"),
                              "expected_cents": sum(sum(s["expected"].values())
                                                    for s in self.sessions),
                              "counted_cents": sum(sum(s["declared"].values())
                                                   for s in self.sessions),
                              "difference_cents": sum(s["difference_cents"]
                                                      for s in self.sessions)},
            "samples": {"count": len(self.samples)},
        }  # fmt: skip

    def seal(self, figures: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._base() | {
            "last_seq": self.last_seq,
            "figures": figures if figures is not None else self.figures(),
            "closed_by": CASHIER,
            "created_at": T0.isoformat(),
        }

    # ------------------------------------------------------------------ pushing
    def all_rows(self) -> list[tuple[str, dict[str, Any]]]:
        return (
            [("order", r) for r in self.orders]
            + [("order_item", r) for r in self.items]
            + [("payment", r) for r in self.payments]
            + [("invoice", r) for r in self.invoices]
            + [("cash_session", r) for r in self.sessions]
            + [("sample", r) for r in self.samples]
        )

    def push(
        self,
        rows: list[tuple[str, dict[str, Any]]],
        *,
        received_at: dt.datetime | None = None,
        late: bool = False,
    ) -> None:
        push_rows(self.engine, rows, node_id=self.node_id, received_at=received_at, late=late,
                  owner=self)  # fmt: skip

    def push_day(self, *, seal: bool = True, received_at: dt.datetime | None = None) -> None:
        """Push every row built so far, then (by default) the seal."""
        self.push(self.all_rows(), received_at=received_at)
        if seal:
            self.push([("day_seal", self.seal())], received_at=received_at)


def push_rows(
    engine: Engine,
    rows: list[tuple[str, dict[str, Any]]],
    *,
    node_id: str = "node-x",
    received_at: dt.datetime | None = None,
    late: bool = False,
    owner: SedeDay | None = None,
) -> None:
    """Upsert row images into ``sync_record`` like the ingest (one statement per call)."""
    if not rows:
        return
    values = []
    for rtype, payload in rows:
        seq = next(_seq)
        if owner is not None:
            owner.last_seq = seq
        values.append(
            {
                "record_type": rtype, "id": payload["id"], "sede_id": payload.get("sede_id"),
                "business_date": payload.get("business_date"), "hlc": f"{seq:013d}:0000:{node_id}",
                "op": "upsert", "payload": payload, "node_id": node_id, "epoch": 0, "seq": seq,
                "tx_id": new_id(), "late": late, "received_at": received_at or T0,
            }
        )  # fmt: skip
    stmt = pg_insert(_SR).values(values)
    ex = stmt.excluded
    cols = ("sede_id", "business_date", "hlc", "op", "payload", "node_id", "epoch", "seq",
            "tx_id", "received_at")  # fmt: skip
    stmt = stmt.on_conflict_do_update(
        index_elements=[_SR.c.record_type, _SR.c.id],
        set_={c: ex[c] for c in cols} | {"late": _SR.c.late | ex.late},
    )
    with engine.begin() as conn:
        conn.execute(stmt)
