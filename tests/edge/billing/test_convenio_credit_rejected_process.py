"""A rejected convenio nota de crédito 07 across real processes: ``labred edge serve``,
``labred edge worker`` and ``labred sandbox sunat``. A convenio order on an accepted factura is
cancelled; the simulator rejects its NC 07; the worker, storing the rejection, releases the
order's link (the convenio is billed for it again), audits it and leaves the message on the
note; the supervisor's retry issues a new NC 07 that the simulator accepts, and the link names
it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.edge.billing.test_convenio_invoice_process import convenio_node
from tests.procs import until

pytestmark = pytest.mark.slow


def _db(data: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(data / "edge.sqlite3")
    try:
        return list(conn.execute(sql, args).fetchall())
    finally:
        conn.close()


def test_rejected_nc07_released_by_the_worker_then_reissued(
    tmp_path: Path, sunat_data: Path
) -> None:
    with convenio_node(tmp_path, sunat_data) as node:
        http, clerk, boss, data = node.http, node.clerk, node.boss, node.data
        order = node.sell("41234567", ["HEM-001", "URI-001"])
        node.sell("41234568", ["HEM-001"])
        factura = node.invoice_month(order["business_date"][:7])
        state = node.answered

        assert until("the factura's answer", lambda: state(factura["id"]))["state"] in (
            "aceptado",
            "observado",
        )
        # SUNAT will reject the next document: the NC 07 of the cancellation
        httpx.post(f"{node.sim_url}/_sim/faults", json={"reject": 1, "reject_code": "2800"},
                   timeout=10).raise_for_status()  # fmt: skip
        r = http.post(f"/api/orders/{order['id']}/cancel", json={"reason": "Orden duplicada"},
                      headers=boss)  # fmt: skip
        assert r.status_code == 200, r.text
        (link_id, first_note_id) = _db(
            data,
            "SELECT id, credit_note_id FROM convenio_invoice_order WHERE order_id = ?",
            order["id"],
        )[0]
        assert first_note_id is not None

        nc07 = until("the NC 07 to be rejected", lambda: state(first_note_id))
        assert (nc07["state"], nc07["sunat_code"], nc07["note_reason"]) == (
            "rechazado",
            "2800",
            "07",
        )
        assert nc07["last_error"].startswith(
            f"SUNAT rechazó la nota de crédito {nc07['full_number']}; la orden "
            f"{order['number']} sigue facturada al convenio "
        )
        assert "Vuelva a emitir la nota de crédito." in nc07["last_error"]
        assert _db(
            data,
            "SELECT credit_note_id, credited_at FROM convenio_invoice_order WHERE id = ?",
            link_id,
        ) == [(None, None)]
        images = [
            json.loads(p)["credit_note_id"]
            for (p,) in _db(
                data,
                "SELECT payload FROM sync_outbox WHERE record_type = 'convenio_invoice_order' "
                "AND record_id = ? ORDER BY seq",
                link_id,
            )
        ]
        assert images == [None, first_note_id, None]  # created, credited, released
        events = _db(data, "SELECT record_id FROM audit_event WHERE action = "
                     "'convenio.credit_rejected'")  # fmt: skip
        assert events == [(order["id"],)]

        # the supervisor issues it again; this time SUNAT accepts it
        assert (
            http.post(f"/api/orders/{order['id']}/convenio-credit", headers=clerk).status_code
            == 403
        )
        r = http.post(f"/api/orders/{order['id']}/convenio-credit", headers=boss)
        assert r.status_code == 201, r.text
        again = r.json()["notes"][0]
        assert (again["note_reason"], again["total"]) == ("07", "40.00")
        assert again["id"] != first_note_id
        done = until("the new NC 07 to be answered", lambda: state(again["id"]))
        assert (done["state"], done["sunat_code"]) == ("aceptado", "0"), done
        assert _db(
            data, "SELECT credit_note_id FROM convenio_invoice_order WHERE id = ?", link_id
        ) == [(again["id"],)]
        r = http.post(f"/api/orders/{order['id']}/convenio-credit", headers=boss)
        assert r.status_code == 409, r.text
        assert r.json()["detail"][0]["type"] == "convenio_nothing_to_credit"
