"""A day of business at one sede, played through the edge's HTTP API (the demo's driver).

Everything goes through the same endpoints the reception counter uses: sign-in, patients (most
of them consent to be told by WhatsApp when their results are ready), orders with split
payments, discounts, facturas, the samples taken at once (so the order leaves for the
laboratory), a cancellation (credit note), the cash count and closing, and the day seal. It
keeps its own ledger of what the edge answered, so the demo can check the hub against it
afterwards.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from domain.cash import DENOMINATIONS
from domain.identity import ruc_check_digit

FIRST = [
    "ROSA",
    "JUAN",
    "MARÍA",
    "JOSÉ",
    "LUCÍA",
    "CARLOS",
    "ANA",
    "LUIS",
    "CARMEN",
    "JORGE",
    "ROCÍO",
    "MIGUEL",
    "ELENA",
    "PEDRO",
    "SOFÍA",
    "RAÚL",
    "PATRICIA",
    "CÉSAR",
    "DIANA",
]
LAST = [
    "QUISPE",
    "MAMANI",
    "FLORES",
    "RODRÍGUEZ",
    "SÁNCHEZ",
    "GARCÍA",
    "HUAMÁN",
    "NÚÑEZ",
    "CHÁVEZ",
    "TORRES",
    "RAMOS",
    "CASTILLO",
    "VARGAS",
    "MENDOZA",
    "ROJAS",
    "ESPINOZA",
]
COMPANIES = [
    ("20100070970", "LABORATORIOS CLINICOS LABRED S.A.C."),
    ("20131312955", "SUPERINTENDENCIA NACIONAL DE ADUANAS"),
]
# (CMP, name) of the physicians whose medical orders patients bring (made-up numbers)
PHYSICIANS = [
    ("45123", "Dr. Juan Pérez Rojas"),
    ("028731", "Dra. Ana Lucía Huamán Torres"),
    ("61904", "Carlos Ñahui Quispe"),
]


class ApiFailure(RuntimeError):
    def __init__(self, what: str, response: httpx.Response) -> None:
        super().__init__(f"{what}: HTTP {response.status_code} {response.text[:300]}")
        self.response = response


@dataclass
class Ledger:
    """What the edge confirmed during the day (money as Decimal)."""

    orders: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    sold: Decimal = Decimal("0.00")
    payments: dict[str, Decimal] = field(default_factory=dict)
    patients: dict[str, str] = field(default_factory=dict)  # doc number -> id
    facturas: int = 0
    discounts: int = 0
    convenio_orders: dict[str, list[str]] = field(default_factory=dict)  # convenio id -> orders
    convenio_invoices: list[dict[str, Any]] = field(default_factory=list)  # the month's facturas
    full_cover: list[str] = field(default_factory=list)  # orders the convenio pays in full
    samples_taken: int = 0
    consents: int = 0

    def paid(self, method: str, amount: Decimal) -> None:
        self.payments[method] = self.payments.get(method, Decimal("0.00")) + amount


def _check(response: httpx.Response, what: str, *ok: int) -> dict[str, Any]:
    if response.status_code not in (ok or (200, 201)):
        raise ApiFailure(what, response)
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def login(client: httpx.Client, username: str, password: str) -> None:
    body = _check(
        client.post("/api/auth/login", json={"username": username, "password": password}), "login"
    )
    client.headers["Authorization"] = f"Bearer {body['access_token']}"


def random_dni(rng: random.Random) -> str:
    return f"{rng.randint(10_000_000, 79_999_999)}"


def denominations_for(amount: Decimal) -> dict[str, int]:
    """Greedy breakdown of a cash amount into PEN bills and coins."""
    left = amount
    out: dict[str, int] = {}
    for value in DENOMINATIONS:
        n = int(left // value)
        if n:
            out[f"{value:.2f}"] = n
            left -= value * n
    if left != 0:
        raise ValueError(f"{amount} cannot be broken into PEN denominations")
    return out


@dataclass
class SedeDay:
    """Plays one business day at one sede."""

    base_url: str
    sede_code: str
    password: str
    orders: int
    rng: random.Random
    on_progress: Callable[[int], None] = lambda n: None
    services: list[dict[str, Any]] = field(default_factory=list)
    convenios: list[dict[str, Any]] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    approver: httpx.Client | None = None  # the supervisor's session (discount approvals)
    full_cover: bool = False  # the day's first convenio sale: only tests a convenio pays in full

    def _client(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.base_url, timeout=30.0)
        login(client, username, self.password)
        return client

    def run(
        self,
        *,
        shared_patient: dict[str, str] | None = None,
        midday: Callable[[], None] | None = None,
        invoice_months: Sequence[str] = (),
        before_close: Callable[[SedeDay, httpx.Client], None] | None = None,
    ) -> Ledger:
        """Sell, cancel one order, count and close the cash, close the day. ``invoice_months``
        ("AAAA-MM"): before closing, the supervisor issues each convenio's factura of those
        months for its orders not yet invoiced (the last day of a month's play).
        ``before_close(self, supervisor)`` runs after that, before the cash count."""
        low = self.sede_code.lower()
        rec, sup = self._client(f"recepcion.{low}"), self._client(f"supervisor.{low}")
        self.approver = sup
        with contextlib.closing(rec), contextlib.closing(sup):
            self.services = _check(rec.get("/api/catalog/services/active"), "catalog")["items"]
            listed = rec.get("/api/catalog/convenios")
            if listed.status_code != 200:
                raise ApiFailure("convenios", listed)
            self.convenios = [c for c in listed.json() if c["active"]]
            float_ = Decimal("200.00")
            session = _check(
                rec.post("/api/cash/sessions", json={"opening_float": f"{float_:.2f}"}), "open cash"
            )
            for i in range(self.orders):
                if midday is not None and i == self.orders // 2:
                    midday()
                    if shared_patient is not None:
                        self.register(rec, shared_patient)
                self.sell(rec, i)
                self.on_progress(1)
            if self.ledger.orders:
                kept = set(self.ledger.full_cover)  # kept for ``before_close``
                some = [o for o in self.ledger.orders if o not in kept] or self.ledger.orders
                self.cancel(sup, some[len(some) // 2])
            for month in invoice_months:
                self.invoice_convenios(sup, month)
            if before_close is not None:
                before_close(self, sup)
            self.close_cash(rec, sup, session["id"], float_)
            _check(sup.post("/api/cash/day/close", json={"date": None}), "day close")
        return self.ledger

    def register(self, client: httpx.Client, person: dict[str, str]) -> str:
        r = client.post("/api/patients", json=person)
        if r.status_code == 409:
            patient_id = str(r.json()["detail"][0]["ctx"]["patient_id"])
        else:
            patient_id = str(_check(r, "register patient")["id"])
        self.ledger.patients[person["doc_number"]] = patient_id
        return patient_id

    def _patient(self, client: httpx.Client) -> str:
        if self.ledger.patients and self.rng.random() < 0.25:
            return self.rng.choice(list(self.ledger.patients.values()))
        person = {
            "doc_type": "1",
            "doc_number": random_dni(self.rng),
            "first_names": self.rng.choice(FIRST),
            "last_names": f"{self.rng.choice(LAST)} {self.rng.choice(LAST)}",
            "sex": self.rng.choice(["F", "M"]),
            "phone": f"9{self.rng.randint(10**7, 10**8 - 1)}",
        }
        patient_id = self.register(client, person)
        if self.rng.random() < 0.75:
            self.consent(client, patient_id)
        return patient_id

    def consent(self, client: httpx.Client, patient_id: str) -> None:
        """The patient signs the consent to be told by WhatsApp (results ready)."""
        body = {
            "kind": "contacto_whatsapp",
            "granted": True,
            "version": "2026-01",
            "channel": "presencial",
        }
        _check(client.post(f"/api/patients/{patient_id}/consents", json=body), "consent", 201)
        self.ledger.consents += 1

    def take_samples(self, client: httpx.Client, order_id: str) -> None:
        """Every tube of the order is drawn: the order becomes "muestra tomada" and leaves."""
        listing = _check(client.get(f"/api/orders/{order_id}/samples"), "samples")
        for sample in listing["items"]:
            if sample["status"] != "tomada":
                _check(client.post(f"/api/samples/{sample['id']}/take"), "take sample", 200, 201)
                self.ledger.samples_taken += 1

    def sell(self, client: httpx.Client, i: int) -> None:
        picks = self.rng.sample(self.services, k=min(len(self.services), self.rng.randint(1, 3)))
        body: dict[str, Any] = {
            "patient_id": self._patient(client),
            "items": [s["id"] for s in picks],
        }
        if i % 3 == 0:  # the medical order's physician, as stamped on it
            body["physician_cmp"], body["physician_name"] = PHYSICIANS[i // 3 % len(PHYSICIANS)]
        if i % 8 == 3:
            body["priority"] = "urgente"
        if i % 9 == 4:
            body["discount"] = {"kind": "percent", "value": "5", "reason": "Campaña de salud"}
        full = self._full_cover() if i % 6 == 3 and "discount" not in body else None
        if full is not None:
            body["items"], body["convenio_id"] = full
        elif i % 6 == 3 and self.convenios and "discount" not in body:
            # Under a convenio, with one test it covers (its price list) among those ordered:
            # its part is billed to it monthly; the patient pays the rest.
            convenio = self.rng.choice(self.convenios)
            active = {s["id"] for s in self.services}
            covered = sorted(sid for sid in convenio.get("prices", {}) if sid in active)
            if covered and not set(body["items"]) & set(covered):
                body["items"] = [self.rng.choice(covered), *body["items"][:2]]
            body["convenio_id"] = convenio["id"]
        elif i % 11 == 7:
            ruc, name = self.rng.choice(COMPANIES)
            assert ruc[-1] == str(ruc_check_digit(ruc[:10]))
            body["document_type"] = "01"
            body["customer"] = {"doc_type": "6", "doc_number": ruc, "name": name, "address": "LIMA"}
        body["items"] = self._outside_panels(body["items"])
        # Price first (no payment), then pay the balance: split cash + digital sometimes.
        order = _check(client.post("/api/orders", json=body), "create order", 201)
        discounted = "discount" in body
        if i % 7 == 5 and not discounted and self.approver is not None:
            order = self.approved_discount(client, self.approver, order)
            discounted = True
        balance = Decimal(order["balance"])
        payments: list[dict[str, str]] = []
        if balance > 0:
            if i % 4 == 1 and balance > Decimal("20.00"):
                digital = (balance / 2).quantize(Decimal("0.01"))
                payments.append(
                    {
                        "method": self.rng.choice(["yape", "plin", "tarjeta"]),
                        "amount": f"{digital:.2f}",
                        "reference": f"OP{i:05d}",
                    }
                )
                rest = balance - digital
            else:
                rest = balance
            if i % 5 == 2 or rest % Decimal("0.10") != 0:  # PEN cash has no 1-céntimo coins
                payments.append(
                    {"method": "tarjeta", "amount": f"{rest:.2f}", "reference": f"VOU{i:05d}"}
                )
            else:
                tendered = (rest // 10 + 1) * 10
                payments.append(
                    {"method": "efectivo", "amount": f"{rest:.2f}", "tendered": f"{tendered:.2f}"}
                )
            paid = _check(
                client.post(f"/api/orders/{order['id']}/payments", json={"payments": payments}),
                "pay",
                200,
                201,
            )
            del paid
        for p in payments:
            self.ledger.paid(p["method"], Decimal(p["amount"]))
        self.take_samples(client, order["id"])
        self.ledger.orders.append(order["id"])
        if body.get("convenio_id"):
            self.ledger.convenio_orders.setdefault(body["convenio_id"], []).append(order["id"])
            if Decimal(order["covered_total"]) == Decimal(order["total"]) > 0:
                self.ledger.full_cover.append(order["id"])
        self.ledger.sold += Decimal(order["total"])
        self.ledger.facturas += 1 if body.get("document_type") == "01" else 0
        self.ledger.discounts += 1 if discounted else 0

    def _outside_panels(self, items: list[str]) -> list[str]:
        """``items`` without the tests already inside one of its panels (the edge refuses a test
        sold twice, on its own and inside a panel)."""
        by_id = {s["id"]: s for s in self.services}
        inside = {m["id"] for i in items for m in by_id.get(i, {}).get("panel_services", [])}
        return [i for i in items if i not in inside]

    def _full_cover(self) -> tuple[list[str], str] | None:
        """(items, convenio id): tests only from the price list of a convenio covering 100 %,
        for the day's first convenio sale when ``full_cover`` (no patient part, no boleta)."""
        if not self.full_cover or self.ledger.full_cover:
            return None
        active = {s["id"] for s in self.services}
        for convenio in self.convenios:
            listed = sorted(sid for sid in convenio.get("prices", {}) if sid in active)
            if listed and Decimal(str(convenio.get("coverage_pct", "0"))) == 100:
                return self.rng.sample(listed, k=min(2, len(listed))), str(convenio["id"])
        return None

    def approved_discount(
        self, rec: httpx.Client, sup: httpx.Client, order: dict[str, Any]
    ) -> dict[str, Any]:
        """A discount above the threshold: reception asks, the supervisor approves from the
        queue; the order, discounted, goes to payment."""
        asked = {"kind": "percent", "value": "15", "reason": "Campaña de prevención (demo)"}
        path = f"/api/orders/{order['id']}/discount-requests"
        request = _check(rec.post(path, json=asked), "discount request", 201)
        _check(
            sup.post(f"/api/discount-requests/{request['id']}/approve", json={}),
            "discount approval",
        )
        return _check(rec.get(f"/api/orders/{order['id']}"), "order after approval")

    def invoice_convenios(self, client: httpx.Client, month: str) -> None:
        """The supervisor's monthly factura to each convenio with orders pending that month."""
        for convenio in self.convenios:
            path = f"/api/convenios/{convenio['id']}"
            pending = _check(client.get(f"{path}/pending", params={"month": month}), "pending")
            if not pending["count"]:
                continue
            inv = _check(client.post(f"{path}/invoice", json={"month": month}), "convenio", 201)
            self.ledger.convenio_invoices.append(inv)

    def cancel(
        self, client: httpx.Client, order_id: str, reason: str = "Paciente desistió del examen"
    ) -> None:
        order = _check(
            client.post(f"/api/orders/{order_id}/cancel", json={"reason": reason}), "cancel"
        )
        self.ledger.cancelled.append(order_id)
        self.ledger.sold -= Decimal(order["total"])
        for p in order.get("payments", []):
            if Decimal(p["amount"]) < 0:
                self.ledger.paid(p["method"], Decimal(p["amount"]))

    def close_cash(
        self, rec: httpx.Client, sup: httpx.Client, session_id: str, float_: Decimal
    ) -> None:
        cash = float_ + self.ledger.payments.get("efectivo", Decimal("0.00"))
        declared = {
            m: f"{self.ledger.payments.get(m, Decimal('0.00')):.2f}"
            for m in ("tarjeta", "yape", "plin", "transferencia")
        }
        _check(
            rec.post(
                f"/api/cash/sessions/{session_id}/count",
                json={"denominations": denominations_for(cash), "declared": declared},
            ),
            "cash count",
            200,
            201,
        )
        _check(sup.post(f"/api/cash/sessions/{session_id}/close", json={}), "cash close", 200, 201)
