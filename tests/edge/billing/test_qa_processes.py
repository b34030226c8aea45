"""QA across real processes: `labred edge serve`, `labred edge worker` and `labred sandbox sunat`
(which applies SUNAT's XSD + XSL rules). A 99 %-discounted factura whose second item is left
at S/ 0.01 is accepted (its discount moved to the global one), its total credit note carries
the discounts on its lines in CreditNoteLine's schema order and is accepted too, and a
customer name SUNAT would reject is a 422 at the counter with nothing saved."""

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
CUSTOMER = {"doc_type": "6", "doc_number": "20100066603", "name": "CLÍNICA ANDINA & <HIJOS>"}


def _until(what: str, probe: Callable[[], Any], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_discount_corners_accepted_by_sunat_rules_across_processes(
    tmp_path: Path, sunat_data: Path
) -> None:
    data = tmp_path / "edge"
    sim_port, edge_port = free_port(), free_port()
    sim_url, edge_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{edge_port}"
    init = run_labred(
        "edge", "init", "--data-dir", str(data), "--demo-catalog", "--admin-password", PASSWORD
    )
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
            running(
                "sandbox", "sunat", "--port", str(sim_port), "--sunat-data", str(sunat_data),
                ready_url=f"{sim_url}/_sim/faults", log=tmp_path / "sim.log",
            )
        )  # fmt: skip
        sim = stack.enter_context(httpx.Client(base_url=sim_url, timeout=30))
        stack.enter_context(
            running(
                "edge", "serve", "--data-dir", str(data), "--port", str(edge_port),
                ready_url=f"{edge_url}/ready", log=tmp_path / "edge.log",
            )
        )  # fmt: skip
        stack.enter_context(
            running(
                "edge", "worker", "--data-dir", str(data),
                ready_url=f"{edge_url}/ready", log=tmp_path / "worker.log",
            )
        )  # fmt: skip
        edge = stack.enter_context(httpx.Client(base_url=edge_url, timeout=30))
        r = edge.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code == 200, r.text
        edge.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        assert edge.post("/api/cash/sessions", json={"opening_float": "100.00"}).status_code == 201
        patient = {
            "doc_type": "1",
            "doc_number": "45678912",
            "first_names": "ANA MARÍA",
            "last_names": "PÉREZ QUISPE",
        }
        r = edge.post("/api/patients", json=patient)
        assert r.status_code == 201, r.text
        items = [
            {"service_id": catalog_id_for("service", "HEM-001"), "unit_price": "100.00",
             "override_reason": "QA"},
            {"service_id": catalog_id_for("service", "BIO-010"), "unit_price": "1.00",
             "override_reason": "QA"},
        ]  # fmt: skip
        sale: dict[str, Any] = {
            "patient_id": r.json()["id"],
            "items": items,
            "discount": {"kind": "percent", "value": "99.00", "reason": "Campaña QA"},
            "document_type": "01",
            "customer": {**CUSTOMER, "name": "Lú"},
            "payments": [{"method": "tarjeta", "amount": "1.01", "reference": "V-1"}],
        }
        r = edge.post("/api/orders", json=sale)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["type"] == "customer_name_too_short"
        assert edge.get("/api/billing", params={"limit": 5}).json()["items"] == []

        r = edge.post("/api/orders", json={**sale, "customer": CUSTOMER})
        assert r.status_code == 201, r.text
        order_id = r.json()["id"]

        def documents() -> list[dict[str, Any]]:
            r = edge.get(f"/api/billing/by-order/{order_id}")
            assert r.status_code == 200, r.text
            return list(r.json()["items"])

        def accepted(full_number: str) -> Callable[[], dict[str, Any] | None]:
            def probe() -> dict[str, Any] | None:
                found = [d for d in documents() if d["full_number"] == full_number]
                if found and found[0]["state"] in ("rechazado", "observado"):
                    raise AssertionError(f"{full_number}: {found[0]}")
                return found[0] if found and found[0]["state"] == "aceptado" else None

            return probe

        factura = _until("the factura to be accepted", accepted("F001-1"))
        assert factura["total"] == "1.01"
        r = edge.post(
            f"/api/billing/{factura['id']}/credit-note",
            json={"reason_code": "06", "description": "Devolución total"},
        )
        assert r.status_code == 201, r.text
        note = _until("the credit note to be accepted", accepted(r.json()["full_number"]))
        assert note["total"] == "1.01"
        registry = sim.get("/_sim/documents").json()
    statuses = {d["filename"].split("-", 1)[1]: d["status"] for d in registry["documents"]}
    assert statuses == {"01-F001-1": "aceptado", f"07-{note['full_number']}": "aceptado"}
