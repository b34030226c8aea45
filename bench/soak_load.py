"""The load of bench/bench_soak.py: a receptionist selling at a fixed rate over HTTP (mixed
payments, facturas now and then, new and returning patients) and, once a second in turn, the
other counter actions (patient search, order list, ticket PDF, first print of labels, cash
movement, tubes taken so the laboratory stand-in sends results back over MLLP)."""

from __future__ import annotations

import functools
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from labred.demo.topology import DEMO_PASSWORD
from sandbox.daygen import COMPANIES, FIRST, LAST, login


@dataclass
class LoadStats:
    sales: int = 0
    offered: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, what: str, r: httpx.Response | Exception) -> None:
        text = f"{r.status_code} {r.text[:200]}" if isinstance(r, httpx.Response) else repr(r)
        with self.lock:
            self.errors[what] += 1
            if len(self.first_errors) < 8:
                self.first_errors.append(f"{what}: {text}")


class Clerk:
    """The receptionist (sales, patients, cash) and the laboratorista (tubes)."""

    def __init__(self, base: str, rng: random.Random, stats: LoadStats) -> None:
        self.base = base
        self.rng = rng
        self.stats = stats
        self.local = threading.local()
        with httpx.Client(base_url=base, timeout=30) as http:
            login(http, "recepcion.s01", DEMO_PASSWORD)
            self.headers = {"Authorization": http.headers["Authorization"]}
            services = http.get("/api/catalog/services/active", headers=self.headers)
            self.services = services.json()["items"]
            r = http.post("/api/cash/sessions", json={"opening_float": "200.00"})
            if r.status_code == 201:
                self.session_id = r.json()["id"]
            else:  # already open (a re-run on a kept data dir)
                self.session_id = http.get("/api/cash/sessions/current").json()["id"]
        self.patients: list[str] = []
        self.orders: list[str] = []
        self.dni = itertools.count(rng.randint(10_000_000, 60_000_000))
        self.lock = threading.Lock()
        self.i = itertools.count()

    def http(self) -> httpx.Client:
        if not hasattr(self.local, "http"):
            self.local.http = httpx.Client(base_url=self.base, timeout=30, headers=self.headers)
        client: httpx.Client = self.local.http
        return client

    def patient(self) -> str | None:
        with self.lock:
            known = list(self.patients[-500:])
        if known and self.rng.random() < 0.7:
            return self.rng.choice(known)
        body = {
            "doc_type": "1",
            "doc_number": str(next(self.dni)),
            "first_names": self.rng.choice(FIRST),
            "last_names": f"{self.rng.choice(LAST)} {self.rng.choice(LAST)}",
            "sex": self.rng.choice(["F", "M"]),
        }
        r = self.http().post("/api/patients", json=body)
        if r.status_code != 201:
            self.stats.fail("patient", r)
            return known[0] if known else None
        pid = str(r.json()["id"])
        with self.lock:
            self.patients.append(pid)
        return pid

    def sale(self) -> None:
        i = next(self.i)
        patient = self.patient()
        if patient is None:
            return
        picks = self.rng.sample(self.services, k=self.rng.randint(1, 3))
        inside = {m["id"] for s in picks for m in s.get("panel_services", [])}
        items = [s for s in picks if s["id"] not in inside]
        total = sum((Decimal(s["price"]) for s in items), Decimal("0"))
        body: dict[str, Any] = {"patient_id": patient, "items": [s["id"] for s in items]}
        if i % 25 == 7:
            ruc, name = self.rng.choice(COMPANIES)
            body["document_type"] = "01"
            body["customer"] = {"doc_type": "6", "doc_number": ruc, "name": name, "address": "LIMA"}
        kind = i % 4
        cash_ok = total % Decimal("0.10") == 0
        if kind == 0 and cash_ok:
            tendered = (total // 10 + 1) * 10
            pays = [{"method": "efectivo", "amount": f"{total:.2f}", "tendered": f"{tendered:.2f}"}]
        elif kind == 1 and total > 20 and cash_ok:
            half = (total / 2).quantize(Decimal("0.1"))
            pays = [
                {"method": "yape", "amount": f"{half:.2f}", "reference": f"YP{i:06d}"},
                {"method": "efectivo", "amount": f"{total - half:.2f}"},
            ]
        else:
            method = self.rng.choice(["tarjeta", "yape", "plin"])
            pays = [{"method": method, "amount": f"{total:.2f}", "reference": f"OP{i:06d}"}]
        body["payments"] = pays
        r = self.http().post("/api/orders", json=body)
        if r.status_code != 201:
            self.stats.fail("sale", r)
            return
        with self.lock:
            self.orders.append(str(r.json()["id"]))
            del self.orders[:-200]
        with self.stats.lock:
            self.stats.sales += 1

    # -- the other counter actions, one a second in turn -------------------------------------
    def recent_order(self) -> str | None:
        with self.lock:
            return self.rng.choice(self.orders[-50:]) if self.orders else None

    def act(self, n: int) -> None:
        name, fn = ACTIONS[n % len(ACTIONS)]
        try:
            fn(self)
        except httpx.HTTPError as exc:
            self.stats.fail(name, exc)
            return
        with self.stats.lock:
            self.stats.actions[name] += 1

    def search(self) -> None:
        q = self.rng.choice([self.rng.choice(LAST).lower(), str(self.rng.randint(10, 69))])
        r = self.http().get("/api/patients/search", params={"q": q})
        if r.status_code != 200:
            self.stats.fail("search", r)

    def order_list(self) -> None:
        r = self.http().get("/api/orders", params={"page_size": 20})
        if r.status_code != 200:
            self.stats.fail("order list", r)

    def ticket(self) -> None:
        order = self.recent_order()
        if order is None:
            return
        docs = self.http().get(f"/api/billing/by-order/{order}")
        if docs.status_code != 200:
            self.stats.fail("ticket", docs)
            return
        for doc in docs.json()["items"][:1]:
            r = self.http().get(f"/api/billing/{doc['id']}/pdf", params={"format": "ticket"})
            if r.status_code != 200:
                self.stats.fail("ticket", r)

    def labels(self) -> None:
        """The first print of a recent sale's labels (a reprint needs a supervisor)."""
        with self.lock:
            order = self.orders.pop() if self.orders else None
        if order is not None:
            r = self.http().get(f"/api/orders/{order}/labels", params={"format": "zpl"})
            if r.status_code != 200:
                self.stats.fail("labels", r)

    def movement(self) -> None:
        kind = self.rng.choice(["ingreso", "egreso"])
        body = {"kind": kind, "amount": "1.00", "reason": "Movimiento de prueba (soak)"}
        r = self.http().post(f"/api/cash/sessions/{self.session_id}/movements", json=body)
        if r.status_code != 201:
            self.stats.fail("movement", r)

    def tubes(self) -> None:
        order = self.recent_order()
        if order is None:
            return
        listing = self.http().get(f"/api/orders/{order}/samples")
        if listing.status_code != 200:
            self.stats.fail("tubes", listing)
            return
        for sample in listing.json()["items"]:
            if sample["status"] == "pendiente":
                r = self.http().post(f"/api/samples/{sample['id']}/take")
                if r.status_code not in (200, 201):
                    self.stats.fail("tubes", r)


ACTIONS: list[tuple[str, Callable[[Clerk], None]]] = [
    ("tubes", Clerk.tubes),
    ("search", Clerk.search),
    ("order list", Clerk.order_list),
    ("tubes", Clerk.tubes),
    ("ticket", Clerk.ticket),
    ("labels", Clerk.labels),
    ("tubes", Clerk.tubes),
    ("movement", Clerk.movement),
]


#: Seconds of sales that may wait for a free client thread; past that a due sale is dropped
#: (offered, never answered), so a node slower than the rate fails the "load driven" check
#: instead of the phase running on until a backlog of minutes is worked off.
BACKLOG_SECONDS = 2.0


def drive(clerk: Clerk, rate: float, seconds: float) -> None:
    """Sales on a fixed schedule (open loop) and one counter action a second."""
    pool = ThreadPoolExecutor(max_workers=8)
    start = time.monotonic()
    n = acted = 0
    waiting: set[Future[None]] = set()
    try:
        while (now := time.monotonic()) < start + seconds:
            due = int((now - start) * rate) + 1
            waiting = {f for f in waiting if not f.done()}
            while n < due:
                with clerk.stats.lock:
                    clerk.stats.offered += 1
                if len(waiting) < 8 + rate * BACKLOG_SECONDS:
                    waiting.add(pool.submit(_guard, clerk, clerk.sale))
                n += 1
            while acted < int(now - start):
                waiting.add(pool.submit(_guard, clerk, functools.partial(clerk.act, acted)))
                acted += 1
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _guard(clerk: Clerk, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - counted and printed
        clerk.stats.fail("exception", exc)
