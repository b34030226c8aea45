"""A billing node across real processes, for the tests that need SUNAT's own rules on the wire:
``labred edge init --demo-catalog``, then ``labred sandbox sunat`` (XSD/XSL), ``labred edge
serve`` and ``labred edge worker`` until the block ends; the admin signed in, cash open and a
patient registered."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.procs import bearer, free_port, init_edge, running

PASSWORD = "clave-de-facturacion-2026"


@dataclass
class BillingNode:
    edge: httpx.Client  # signed in as the node's admin, cash open
    sim: httpx.Client  # the SUNAT simulator's control and registry
    patient_id: str

    def documents(self, order_id: str) -> list[dict[str, Any]]:
        r = self.edge.get(f"/api/billing/by-order/{order_id}")
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def in_state(
        self, order_id: str, full_number: str, state: str = "aceptado", *, strict: bool = False
    ) -> Callable[[], dict[str, Any] | None]:
        """A probe for ``until``: the order's document ``full_number`` once in ``state``
        (``strict``: fail at once when SUNAT rejected or observed it instead)."""

        def probe() -> dict[str, Any] | None:
            found = [d for d in self.documents(order_id) if d["full_number"] == full_number]
            if strict and found and found[0]["state"] in ("rechazado", "observado"):
                raise AssertionError(f"{full_number}: {found[0]}")
            return found[0] if found and found[0]["state"] == state else None

        return probe


def init_billing_edge(data: Path, *, sim_url: str, edge_port: int) -> Path:
    """``labred edge init --demo-catalog`` into ``data``, configured to send to the SUNAT
    simulator at ``sim_url`` and to serve on ``edge_port``."""
    init_edge(data, PASSWORD)
    config = {
        "port": edge_port,
        "sunat_url": f"{sim_url}/ol-ti-itcpfegem-beta/billService",
        "rate_limit_per_minute": 100000,
    }
    (data / "edge.toml").write_text(
        "\n".join(f"{k} = {json.dumps(v)}" for k, v in config.items()) + "\n"
    )
    return data


@contextlib.contextmanager
def billing_node(tmp_path: Path, sunat_data: Path) -> Iterator[BillingNode]:
    sim_port, edge_port = free_port(), free_port()
    sim_url, edge_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{edge_port}"
    data = init_billing_edge(tmp_path / "edge", sim_url=sim_url, edge_port=edge_port)
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            running("sandbox", "sunat", "--port", str(sim_port), "--sunat-data", str(sunat_data),
                    ready_url=f"{sim_url}/_sim/faults", log=tmp_path / "sim.log")
        )  # fmt: skip
        sim = stack.enter_context(httpx.Client(base_url=sim_url, timeout=30))
        stack.enter_context(
            running("edge", "serve", "--data-dir", str(data), "--port", str(edge_port),
                    ready_url=f"{edge_url}/ready", log=tmp_path / "edge.log")
        )  # fmt: skip
        stack.enter_context(
            running("edge", "worker", "--data-dir", str(data),
                    ready_url=f"{edge_url}/ready", log=tmp_path / "worker.log")
        )  # fmt: skip
        edge = stack.enter_context(httpx.Client(base_url=edge_url, timeout=30))
        edge.headers.update(bearer(edge, "admin", PASSWORD))
        assert edge.post("/api/cash/sessions", json={"opening_float": "100.00"}).status_code == 201
        patient = {"doc_type": "1", "doc_number": "45678912", "first_names": "ANA MARÍA",
                   "last_names": "PÉREZ QUISPE"}  # fmt: skip
        r = edge.post("/api/patients", json=patient)
        assert r.status_code == 201, r.text
        yield BillingNode(edge=edge, sim=sim, patient_id=r.json()["id"])
