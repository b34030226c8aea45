"""The convenio's monthly factura across real processes: ``labred edge serve``, ``labred edge
worker`` and ``labred sandbox sunat`` (SUNAT's XSD/XSL rules). A receptionist sells under two
convenios over HTTP, a supervisor lists what is pending and issues the factura, the worker
sends it and the simulator accepts it (crédito, with SUNAT's own observation 3249); cancelling
the billed order issues a nota de crédito 07 the simulator accepts; a restarted server still
refuses to bill the month twice."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from domain.permissions import Role
from tests.edge.billing.process_node import PASSWORD, init_billing_edge
from tests.edge.factories import add_users
from tests.procs import free_port, running, until

pytestmark = pytest.mark.slow
SALUD = catalog_id_for("convenio", "CONV-SALUDPLUS")
MINERA = catalog_id_for("convenio", "CONV-MINERA")


def _login(http: httpx.Client, username: str) -> dict[str, str]:
    r = http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@contextlib.contextmanager
def _edge(data: Path, port: int, log: Path) -> Iterator[httpx.Client]:
    base = f"http://127.0.0.1:{port}"
    serve = ("edge", "serve", "--data-dir", str(data), "--port", str(port))
    with running(*serve, ready_url=f"{base}/ready", log=log):
        with httpx.Client(base_url=base, timeout=30) as http:
            yield http


@dataclass
class Node:
    """A node set up for convenio billing, its SUNAT simulator and worker running."""

    data: Path
    port: int
    sim_url: str
    http: httpx.Client
    clerk: dict[str, str]
    boss: dict[str, str]

    def sell(self, dni: str, codes: list[str], convenio: str = MINERA) -> dict[str, Any]:
        """The receptionist registers patient ``dni`` and sells ``codes`` under ``convenio``."""
        patient = {"doc_type": "1", "doc_number": dni, "first_names": "JUANA",
                   "last_names": "MAMANI CCORI"}  # fmt: skip
        r = self.http.post("/api/patients", json=patient, headers=self.clerk)
        assert r.status_code == 201, r.text
        sale = {"patient_id": r.json()["id"], "convenio_id": convenio,
                "items": [catalog_id_for("service", c) for c in codes]}  # fmt: skip
        r = self.http.post("/api/orders", json=sale, headers=self.clerk)
        assert r.status_code == 201, r.text
        order: dict[str, Any] = r.json()
        return order

    def invoice_month(self, month: str, convenio: str = MINERA) -> dict[str, Any]:
        """The supervisor issues the convenio's factura for ``month``."""
        r = self.http.post(f"/api/convenios/{convenio}/invoice", json={"month": month},
                           headers=self.boss)  # fmt: skip
        assert r.status_code == 201, r.text
        factura: dict[str, Any] = r.json()["invoice"]
        return factura

    def answered(self, invoice_id: str) -> dict[str, Any] | None:
        """The document once SUNAT has answered it (accepted, observed or rejected), else None."""
        doc: dict[str, Any] = self.http.get(f"/api/billing/{invoice_id}", headers=self.boss).json()
        return doc if doc["state"] in ("aceptado", "observado", "rechazado") else None


@contextlib.contextmanager
def convenio_node(tmp_path: Path, sunat_data: Path) -> Iterator[Node]:
    """``labred edge init --demo-catalog`` with a receptionist (cash open) and a supervisor,
    then ``sandbox sunat`` (XSD/XSL), ``edge serve`` and ``edge worker`` until the block ends."""
    sim_port, edge_port = free_port(), free_port()
    sim_url, edge_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{edge_port}"
    data = init_billing_edge(tmp_path / "edge", sim_url=sim_url, edge_port=edge_port)
    add_users(data, (Role.RECEPCIONISTA, "rocio"), (Role.SUPERVISOR, "sonia"), password=PASSWORD)

    with contextlib.ExitStack() as stack:
        stack.enter_context(
            running("sandbox", "sunat", "--port", str(sim_port), "--sunat-data", str(sunat_data),
                    ready_url=f"{sim_url}/_sim/faults", log=tmp_path / "sim.log")
        )  # fmt: skip
        http = stack.enter_context(_edge(data, edge_port, tmp_path / "edge.log"))
        stack.enter_context(
            running("edge", "worker", "--data-dir", str(data),
                    ready_url=f"{edge_url}/ready", log=tmp_path / "worker.log")
        )  # fmt: skip
        clerk, boss = _login(http, "rocio"), _login(http, "sonia")
        r = http.post("/api/cash/sessions", json={"opening_float": "50.00"}, headers=clerk)
        assert r.status_code == 201, r.text
        yield Node(data, edge_port, sim_url, http, clerk, boss)


def test_convenio_factura_issued_sent_and_accepted(tmp_path: Path, sunat_data: Path) -> None:
    with convenio_node(tmp_path, sunat_data) as node:
        data, edge_port, sim_url = node.data, node.port, node.sim_url
        http, clerk, boss = node.http, node.clerk, node.boss
        orders = [
            node.sell("41234567", ["HEM-001", "URI-001"], MINERA),  # 100 %: 28.00 + 12.00
            node.sell("41234568", ["HEM-001", "BIO-010"], SALUD),  # 80 % of 40.00 = 32.00
        ]
        month = orders[0]["business_date"][:7]
        url = f"/api/convenios/{MINERA}"

        assert http.get(f"{url}/pending?month={month}", headers=clerk).status_code == 403
        pending = http.get(f"{url}/pending?month={month}", headers=boss).json()
        assert [i["order_id"] for i in pending["items"]] == [orders[0]["id"]]
        assert pending["covered_total"] == "40.00"

        r = http.post(f"{url}/invoice", json={"month": month}, headers=boss)
        assert r.status_code == 201, r.text
        factura = r.json()["invoice"]
        assert (factura["full_number"], factura["total"]) == ("F001-1", "40.00")
        assert factura["customer_doc_number"] == "20601987652"
        again = http.post(f"{url}/invoice", json={"month": month}, headers=boss)
        assert again.status_code == 409
        assert again.json()["detail"][0]["type"] == "convenio_nothing_pending"

        def accepted() -> dict[str, Any] | None:
            doc: dict[str, Any] = http.get(f"/api/billing/{factura['id']}", headers=boss).json()
            return doc if doc["state"] in ("aceptado", "observado") else None

        done = until("the convenio factura to be accepted", accepted)
        assert [ln["total"] for ln in done["lines"]] == ["40.00"]
        assert (done["payment_method"], done["payment_due_date"]) == (
            "Credito",
            (dt.date.fromisoformat(orders[0]["business_date"]) + dt.timedelta(days=45)).isoformat(),
        )  # MINERA: 45 credit days
        # Crédito factura: accepted with SUNAT's own observation 3249 only (its sheet counts
        # Cuota nodes where none can exist; see tests/domain/sunat/test_sunat_documents.py).
        assert (done["state"], done["sunat_code"]) == ("aceptado", "0"), done
        assert [n.split(" ")[0] for n in done["sunat_notes"]] == ["3249"], done

        # Cancelling the billed order once the factura is accepted: nota de crédito 07 on it
        # for the order's line, sent and accepted; the order is neither billed nor pending.
        r = http.post(
            f"/api/orders/{orders[0]['id']}/cancel", json={"reason": "Orden duplicada"},
            headers=boss,
        )  # fmt: skip
        assert r.status_code == 200, r.text

        def note_accepted() -> dict[str, Any] | None:
            docs = http.get(f"/api/billing/by-order/{orders[0]['id']}", headers=boss).json()
            notes = [d for d in docs["items"] if d["doc_type"] == "07"]
            return notes[0] if notes and notes[0]["state"] == "aceptado" else None

        note = until("the convenio nota de crédito to be accepted", note_accepted)
        assert (note["full_number"], note["note_reason"], note["total"]) == (
            "FC01-1",
            "07",
            "40.00",
        )
        assert (note["reference_invoice_id"], note["sunat_notes"]) == (factura["id"], [])
        assert http.get(f"{url}/pending?month={month}", headers=boss).json()["count"] == 0
        registry = httpx.get(f"{sim_url}/_sim/documents", timeout=10).json()
    statuses = {d["filename"].split("-", 1)[1]: d["status"] for d in registry["documents"]}
    assert statuses["01-F001-1"] == "observado"  # accepted, with the 3249 observation
    assert statuses["07-FC01-1"] == "aceptado"

    # A restarted server still knows what was billed; the other convenio is still pending.
    with _edge(data, edge_port, tmp_path / "edge2.log") as http:
        boss = _login(http, "sonia")
        r = http.post(f"/api/convenios/{MINERA}/invoice", json={"month": month}, headers=boss)
        assert r.status_code == 409  # its only order is cancelled (and credited)
        other = http.get(f"/api/convenios/{SALUD}/pending?month={month}", headers=boss).json()
        assert [i["order_id"] for i in other["items"]] == [orders[1]["id"]]
        assert Decimal(other["covered_total"]) == Decimal("32.00")
    conn = sqlite3.connect(data / "edge.sqlite3")
    try:
        kinds = dict(
            conn.execute(
                "SELECT record_type, count(*) FROM sync_outbox WHERE record_type IN "
                "('convenio_invoice_order', 'audit_event') GROUP BY record_type"
            ).fetchall()
        )
        action = conn.execute(
            "SELECT count(*) FROM audit_event WHERE action = 'convenio.invoice'"
        ).fetchone()
    finally:
        conn.close()
    assert kinds["convenio_invoice_order"] == 2  # created, then credited
    assert action == (1,)
