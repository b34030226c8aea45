"""The demo's convenio round: orders sold under a convenio (its part "por cobrar"), the month's
factura the supervisor issues to it at each sede before closing the last day, SUNAT's answer,
the factura at the hub, and a payment the convenio sends, recorded on the hub.

Checked afterwards, straight from the databases and the hub's API: every convenio order still
standing is on exactly one convenio factura; SUNAT accepted every such factura; the hub's
account of each convenio covers what the sedes sold under it, all of it invoiced, and its
balance is what was covered less what was paid.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from domain.clock import LIMA, SystemClock, business_date
from labred.demo.checks import Report
from sandbox.daygen import Ledger, login

ZERO = Decimal("0.00")
ACCEPTED = ("aceptado", "observado")  # a crédito factura always carries observation 3249


def months_of(days: Iterable[dt.date]) -> list[str]:
    """The months ("AAAA-MM") the played business days fall in, in order."""
    return sorted({f"{d:%Y-%m}" for d in days})


@dataclass
class ConvenioRound:
    """What the hub answered: the payment recorded and each convenio's balance."""

    payment: dict[str, Any] | None = None
    balances: dict[str, dict[str, Any]] = field(default_factory=dict)
    facturas: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False  # no convenio sale in this play (fewer than 4 orders a day)


def _hub_facturas(hub: httpx.Client, convenio_id: str) -> set[str]:
    r = hub.get(f"/api/convenios/{convenio_id}/balance")
    r.raise_for_status()
    return {f["invoice"] for f in r.json()["facturas"]}


def settle_on_hub(
    hub_url: str,
    password: str,
    ledgers: Iterable[Ledger],
    *,
    credited: str = "",
    timeout: float = 120,
) -> ConvenioRound:
    """Wait for the month's facturas at the hub, record the convenio paying half of what the
    first one asks for (against that factura; the first one a credit note did not reduce,
    ``credited``, when there is another), and read every convenio's balance."""
    out = ConvenioRound(facturas=[inv for lg in ledgers for inv in lg.convenio_invoices])
    if not out.facturas:
        return out
    wanted: dict[str, set[str]] = {}
    for inv in out.facturas:
        numbers = wanted.setdefault(inv["convenio_id"], set())
        if inv["invoice"]["full_number"] != credited:  # credited in full: not listed at the hub
            numbers.add(inv["invoice"]["full_number"])
    hub = httpx.Client(base_url=hub_url, timeout=60)
    with contextlib.closing(hub):
        login(hub, "admin", password)
        deadline = time.monotonic() + timeout
        while not all(numbers <= _hub_facturas(hub, cid) for cid, numbers in wanted.items()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"convenio facturas not at the hub after {timeout:.0f} s")
            time.sleep(1)
        first = next(
            (f for f in out.facturas if f["invoice"]["full_number"] != credited),
            out.facturas[0],
        )
        r = hub.get(f"/api/convenios/{first['convenio_id']}/balance")
        r.raise_for_status()
        asks = next(
            (
                Decimal(f["outstanding"])
                for f in r.json()["facturas"]
                if f["invoice"] == first["invoice"]["full_number"]
            ),
            Decimal(first["invoice"]["total"]),
        )
        amount = (asks / 2).quantize(Decimal("0.01"))
        r = hub.post(
            f"/api/convenios/{first['convenio_id']}/payments",
            json={
                "amount": f"{amount:.2f}",
                "date": business_date(SystemClock().now(), LIMA).isoformat(),  # the hub's today
                "method": "transferencia",
                "reference": "OP 000777 BCP (demo)",
                "invoice": first["invoice"]["full_number"],
            },
        )
        if r.status_code != 201:
            raise RuntimeError(f"convenio payment: {r.status_code} {r.text[:300]}")
        out.payment = r.json()
        for cid in wanted:
            r = hub.get(f"/api/convenios/{cid}/balance")
            r.raise_for_status()
            out.balances[cid] = r.json()
    return out


def _edge_convenio_rows(path: Path) -> tuple[dict[str, Decimal], dict[str, int], set[str]]:
    """Covered part per convenio of the orders still standing, how many convenio facturas bill
    each such order, and the states of those facturas."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        covered: dict[str, Decimal] = {}
        links: dict[str, int] = {}
        for cid, oid, cents in db.execute(
            "SELECT convenio_id, id, covered_total FROM lab_order "
            "WHERE convenio_id IS NOT NULL AND status != 'anulada' AND covered_total > 0"
        ):
            covered[cid] = covered.get(cid, ZERO) + Decimal(cents) / 100
            links[oid] = 0
        for (oid,) in db.execute(
            "SELECT order_id FROM convenio_invoice_order WHERE credit_note_id IS NULL"
        ):
            links[oid] = links.get(oid, 0) + 1
        states = {
            str(state)
            for (state,) in db.execute(
                "SELECT i.state FROM invoice i JOIN convenio_invoice_order l ON l.invoice_id = i.id"
            )
        }
    return covered, links, states


def convenio_checks(report: Report, round_: ConvenioRound, edges: dict[str, Path]) -> None:
    covered: dict[str, Decimal] = {}
    links: dict[str, int] = {}
    states: set[str] = set()
    for path in edges.values():
        c, lk, st = _edge_convenio_rows(path)
        for cid, amount in c.items():
            covered[cid] = covered.get(cid, ZERO) + amount
        links.update(lk)
        states |= st
    report.check(
        bool(links) and all(n == 1 for n in links.values()),
        f"every convenio order still standing is on exactly one convenio factura ({len(links)})",
    )
    report.check(
        bool(states) and states <= set(ACCEPTED),
        f"SUNAT accepted every convenio factura (states: {', '.join(sorted(states)) or '-'})",
    )
    paid = Decimal(round_.payment["amount"]) if round_.payment else ZERO
    # A convenio whose only order was cancelled has an account (covered 0) and no standing
    # order: every covered convenio needs its account; the loop compares each account.
    ok = round_.payment is not None and set(covered) <= set(round_.balances)
    for cid, bal in round_.balances.items():
        mine = paid if round_.payment and round_.payment["convenio_id"] == cid else ZERO
        ok = ok and (
            Decimal(bal["covered"]) == covered.get(cid, ZERO)
            and Decimal(bal["invoiced"]) == Decimal(bal["covered"])
            and Decimal(bal["not_invoiced"]) == ZERO
            and Decimal(bal["paid"]) == mine
            and Decimal(bal["balance"]) == Decimal(bal["covered"]) - mine
        )
    total = sum(covered.values(), ZERO)
    report.check(
        ok,
        f"the hub's convenio accounts hold what the sedes covered (S/ {total:,.2f}), all "
        f"invoiced, balance = covered - paid (S/ {paid:,.2f} paid)",
    )


def print_round(round_: ConvenioRound) -> None:
    if round_.skipped:
        print("convenios: none sold (fewer than 4 orders a day), no convenio round")
    for bal in round_.balances.values():
        print(
            f"convenio {bal['name']}: covered S/ {Decimal(bal['covered']):,.2f}, invoiced "
            f"S/ {Decimal(bal['invoiced']):,.2f}, paid S/ {Decimal(bal['paid']):,.2f}, "
            f"balance S/ {Decimal(bal['balance']):,.2f} ({len(bal['facturas'])} facturas)"
        )


__all__ = ["ConvenioRound", "convenio_checks", "months_of", "print_round", "settle_on_hub"]
