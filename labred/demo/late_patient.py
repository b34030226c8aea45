"""A late patient after closing: on the last played day, once a sede has sealed its day, its
supervisor reopens the day with a reason (``POST /api/cash/day/{day}/reopen``), reception opens a
cash drawer, sells one order and closes the drawer (blind count, as :mod:`sandbox.daygen` does),
and the supervisor seals the day again (``POST /api/cash/day/close``). The re-seal updates the
same ``day_seal`` record, which reaches the hub; the hub reconciles the day with the re-sealed
figures (a reopened day reads as unsealed there until then)."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg

from labred.demo.checks import Report
from sandbox.daygen import ApiFailure, Ledger, SedeDay, login

REASON = "Paciente llegó después del cierre; se reabre el día para atenderlo"


@dataclass
class LateRound:
    """What the edge answered during the round (``error`` when it stopped half-way)."""

    sede: str = ""
    day: str = ""  # ISO business date
    order_id: str = ""
    order_number: str = ""
    total: Decimal = Decimal("0.00")
    methods: list[str] = field(default_factory=list)
    reopened_status: str = ""  # the seal's status answered by the reopen
    sealed_orders: int = -1  # the first seal's order count (what the reopen answered)
    resealed_orders: int = -1  # the re-seal's order count
    seconds: float = 0.0
    error: str = ""
    skipped: str = ""  # why the round was not played


def play_late(
    *,
    base_url: str,
    sede_code: str,
    password: str,
    day: str,
    rng: random.Random,
    ledger: Ledger,
) -> LateRound:
    """Reopen ``day`` (ISO, already sealed) at the sede, sell one order on it and seal it again.
    The sale is added to ``ledger`` (the sede's ledger of that day). Never raises: a failure is
    the round's ``error`` (and a broken invariant)."""
    started = time.monotonic()
    round_ = LateRound(sede=sede_code, day=day)
    late = SedeDay(base_url=base_url, sede_code=sede_code, password=password, orders=1, rng=rng)
    low = sede_code.lower()
    try:
        rec = httpx.Client(base_url=base_url, timeout=30.0)
        sup = httpx.Client(base_url=base_url, timeout=30.0)
        with contextlib.closing(rec), contextlib.closing(sup):
            login(rec, f"recepcion.{low}", password)
            login(sup, f"supervisor.{low}", password)
            reopened = _ok(
                sup.post(f"/api/cash/day/{day}/reopen", json={"reason": REASON}), "day reopen"
            )
            round_.reopened_status = str(reopened["status"])
            round_.sealed_orders = int(reopened["figures"]["orders"]["count"])
            late.services = _ok(rec.get("/api/catalog/services/active"), "catalog")["items"]
            float_ = Decimal("100.00")
            session = _ok(
                rec.post("/api/cash/sessions", json={"opening_float": f"{float_:.2f}"}),
                "open cash",
            )
            # Sale 0 of daygen's pattern: a new patient, a boleta, no convenio and no discount;
            # paid cash (or by card with a voucher reference when cash cannot pay it exactly).
            late.sell(rec, 0)
            late.close_cash(rec, sup, session["id"], float_)
            resealed = _ok(sup.post("/api/cash/day/close", json={"date": day}), "day re-seal")
            round_.resealed_orders = int(resealed["figures"]["orders"]["count"])
            round_.order_id = late.ledger.orders[0]
            order = _ok(rec.get(f"/api/orders/{round_.order_id}"), "late order")
            round_.order_number = str(order["number"])
    except (ApiFailure, httpx.HTTPError, KeyError, IndexError) as exc:
        round_.error = str(exc) or type(exc).__name__
    _merge(ledger, late.ledger)
    round_.total = late.ledger.sold
    round_.methods = sorted(late.ledger.payments)
    round_.seconds = time.monotonic() - started
    return round_


def _ok(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise ApiFailure(what, response)
    body: dict[str, Any] = response.json()
    return body


def _merge(into: Ledger, late: Ledger) -> None:
    """The late sale counts in the day's ledger (what the counter was answered)."""
    into.orders.extend(late.orders)
    into.sold += late.sold
    for method, amount in late.payments.items():
        into.paid(method, amount)
    into.patients.update(late.patients)
    into.samples_taken += late.samples_taken
    into.consents += late.consents


def hub_order_days(conninfo: str, order_id: str) -> list[str]:
    """The business day of each copy of order ``order_id`` at the hub (one, when it arrived)."""
    if not order_id:  # the round stopped before its sale
        return []
    with psycopg.connect(conninfo) as hub:
        rows = hub.execute(
            "SELECT business_date FROM sync_record WHERE record_type = 'order' AND id = %s "
            "AND op = 'upsert'",
            (order_id,),
        ).fetchall()
    return [str(r[0]) for r in rows]


def print_late(round_: LateRound) -> None:
    if round_.skipped:
        print(f"late patient after closing: skipped ({round_.skipped})")
    elif round_.error:
        print(f"late patient after closing at {round_.sede}: FAILED ({round_.error})")
    else:
        print(
            f"late patient after closing at {round_.sede} {round_.day}: day reopened "
            f'("{REASON}"), order {round_.order_number} S/ {round_.total:,.2f} '
            f"({', '.join(round_.methods) or 'sin pago'}), drawer counted and closed, day "
            f"sealed again ({round_.sealed_orders} -> {round_.resealed_orders} orders, "
            f"{round_.seconds:.1f} s)"
        )


def late_checks(
    report: Report,
    round_: LateRound,
    *,
    edges: dict[str, Path],
    at_hub: list[str],
    closures: list[dict[str, Any]],
    credit_sede: str | None,
) -> None:
    """The round's invariants: the edge's seal (sealed again, reopened once), the hub's closure
    of that day (reconciled with the re-sealed figures, which count the late sale) and the late
    order at the hub. ``credit_sede``: the sede whose last day also holds the rejected convenio
    credit note (its closure then has exactly that discrepancy, checked by its own round);
    ``at_hub``: :func:`hub_order_days`."""
    if round_.skipped:
        return
    if round_.error:
        report.check(False, f"{round_.sede}: the late patient after closing: {round_.error}")
        return
    code, day = round_.sede, round_.day
    with contextlib.closing(sqlite3.connect(f"file:{edges[code]}?mode=ro", uri=True)) as db:
        seal = db.execute(
            "SELECT status, reopen_count FROM day_seal WHERE business_date = ?", (day,)
        ).fetchone()
        orders_here = db.execute(
            "SELECT count(*) FROM lab_order WHERE business_date = ?", (day,)
        ).fetchone()[0]
        late_day = db.execute(
            "SELECT business_date FROM lab_order WHERE id = ?", (round_.order_id,)
        ).fetchone()
    report.check(
        round_.reopened_status == "reabierto"
        and seal is not None
        and tuple(seal) == ("sellado", 1),
        f"{code} {day}: the day reopened for the late patient is sealed again, reopened once "
        f"({'/'.join(map(str, seal)) if seal else 'no seal'})",
    )
    found = [c for c in closures if c["sede"] == code and c["date"] == day]
    closure = found[0] if found else {}
    counted = closure.get("seal_figures", {}).get("orders", {}).get("count")
    kinds = [d["kind"] for d in closure.get("discrepancies", [])]
    status = closure.get("status", "missing")
    reconciled = status == "reconciled" or (
        code == credit_sede and status == "with_discrepancies" and kinds == ["document_rejected"]
    )
    report.check(
        reconciled
        and counted == orders_here == round_.resealed_orders == round_.sealed_orders + 1
        and late_day is not None
        and late_day[0] == day,
        f"{code} {day}: the hub reconciles the re-sealed day ({status}), its seal counts the "
        f"late order ({counted} orders at the hub's seal, {orders_here} here, "
        f"{round_.sealed_orders} before)",
    )
    report.check(
        at_hub == [day],
        f"{code}: the late order {round_.order_number} is at the hub ({len(at_hub)} copy)",
    )


__all__ = ["REASON", "LateRound", "hub_order_days", "late_checks", "play_late", "print_late"]
