"""Real processes: `labred edge serve`, `labred edge worker` and `labred sandbox sunat` (with
SUNAT's XSD/XSL rules). A paid order's factura is sent and accepted, a nota de débito on it is
issued through the API and accepted, then cancelling the order voids the factura through a
comunicación de baja (RA, ticket, getStatus) worked by the worker — no nota de crédito."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from tests.procs import free_port, run_labred, running

pytestmark = pytest.mark.slow
PASSWORD = "clave-de-facturacion-2026"
CUSTOMER = {"doc_type": "6", "doc_number": "20100066603", "name": "CLÍNICA ANDINA S.A.C."}


def _until(what: str, probe: Callable[[], Any], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_factura_debit_note_and_baja_across_real_processes(
    tmp_path: Path, sunat_data: Path
) -> None:
    data = tmp_path / "edge"
    sim_port, edge_port = free_port(), free_port()
    sim_url, edge_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{edge_port}"
    init = run_labred("edge", "init", "--data-dir", str(data), "--demo-catalog",
                      "--admin-password", PASSWORD)  # fmt: skip
    assert init.returncode == 0, init.stderr
    config = {
        "port": edge_port,
        "sunat_url": f"{sim_url}/ol-ti-itcpfegem-beta/billService",
        "rate_limit_per_minute": 100000,
    }
    (data / "edge.toml").write_text(
        "\n".join(f"{k} = {json.dumps(v)}" for k, v in config.items()) + "\n"
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            running("sandbox", "sunat", "--port", str(sim_port), "--sunat-data", str(sunat_data),
                    ready_url=f"{sim_url}/_sim/faults", log=tmp_path / "sim.log")
        )  # fmt: skip
        sim = stack.enter_context(httpx.Client(base_url=sim_url, timeout=30))
        assert sim.post("/_sim/faults", json={"summary_pending_polls": 0}).status_code == 200
        stack.enter_context(
            running("edge", "serve", "--data-dir", str(data), "--port", str(edge_port),
                    ready_url=f"{edge_url}/ready", log=tmp_path / "edge.log")
        )  # fmt: skip
        stack.enter_context(
            running("edge", "worker", "--data-dir", str(data),
                    ready_url=f"{edge_url}/ready", log=tmp_path / "worker.log")
        )  # fmt: skip
        edge = stack.enter_context(httpx.Client(base_url=edge_url, timeout=30))
        r = edge.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        edge.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

        assert edge.post("/api/cash/sessions", json={"opening_float": "100.00"}).status_code == 201
        patient = {"doc_type": "1", "doc_number": "45678912", "first_names": "ANA MARÍA",
                   "last_names": "PÉREZ QUISPE"}  # fmt: skip
        r = edge.post("/api/patients", json=patient)
        assert r.status_code == 201, r.text
        service_id = catalog_id_for("service", "HEM-001")
        price = edge.get(f"/api/catalog/services/{service_id}").json()["price"]
        payment = {"method": "tarjeta", "amount": price, "reference": "V-77"}
        sale = {"patient_id": r.json()["id"], "items": [service_id], "document_type": "01",
                "customer": CUSTOMER, "payments": [payment]}  # fmt: skip
        r = edge.post("/api/orders", json=sale)
        assert r.status_code == 201, r.text
        order_id = r.json()["id"]

        def documents() -> list[dict[str, Any]]:
            r = edge.get(f"/api/billing/by-order/{order_id}")
            assert r.status_code == 200, r.text
            return list(r.json()["items"])

        def in_state(full_number: str, state: str) -> Callable[[], dict[str, Any] | None]:
            def probe() -> dict[str, Any] | None:
                found = [d for d in documents() if d["full_number"] == full_number]
                return found[0] if found and found[0]["state"] == state else None

            return probe

        factura = _until("the factura to be accepted", in_state("F001-1", "aceptado"))
        r = edge.post(f"/api/billing/{factura['id']}/debit-note",
                      json={"reason_code": "01", "description": "Intereses por mora",
                            "amount": "12.00"})  # fmt: skip
        assert r.status_code == 201, r.text
        assert r.json()["full_number"] == "FD01-1"
        _until("the debit note to be accepted", in_state("FD01-1", "aceptado"))
        pdf = edge.get(f"/api/billing/{r.json()['id']}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

        r = edge.post(f"/api/orders/{order_id}/cancel", json={"reason": "Paciente desistió"})
        assert r.status_code == 200, r.text
        voided = _until("the RA to void the factura", in_state("F001-1", "anulado"))
        assert voided["void_requested"] is True
        assert [d["doc_type"] for d in documents()] == ["01", "08"]  # no nota de crédito
        registry = sim.get("/_sim/documents").json()
    (ra,) = [t for t in registry["summaries"] if t["kind"] == "RA"]
    assert (ra["status_code"], ra["response_code"]) == (0, "0")
    statuses = {d["filename"].split("-", 1)[1]: d["status"] for d in registry["documents"]}
    assert statuses == {"01-F001-1": "anulado", "08-FD01-1": "aceptado"}
