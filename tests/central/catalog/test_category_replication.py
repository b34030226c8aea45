"""A category renamed or deactivated at the hub reaches an enrolled edge through the real sync
client (in-process): the edge's mirror holds the new name and state, and the edge's catalog
shows its tests under the new name."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain import catalog_data
from domain.clock import SystemClock
from domain.ids import sede_id_for
from domain.permissions import Role
from edge.catalog.models import CatalogCategory
from edge.db import read_session
from edge.runtime import EdgeRuntime
from edge.sync import service as sync_service
from edge.sync.enroll import enroll, load_credentials
from tests.central.auth.factories import auth_headers
from tests.edge.factories import auth_headers as edge_headers
from tests.sync.replication_helpers import admin_override, new_code, node_client

CLOCK = SystemClock()
S01 = sede_id_for("S01")


def _edge_categories(rt: EdgeRuntime) -> dict[str, tuple[str, bool]]:
    with read_session(rt.engine) as session:
        return {c.code: (c.name, c.active) for c in session.exec(select(CatalogCategory))}


def test_a_renamed_and_a_deactivated_category_reach_the_edge(
    hub_client: TestClient,
    hub_runtime: HubRuntime,
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
) -> None:
    with hub_uow(hub_runtime.engine) as session:
        seed_demo(session, clock=hub_runtime.clock, sedes=1, admin_password="demo-clave-2026")
    admin_override(hub_client)
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, S01),
        clock=CLOCK,
        client=node_client(hub_client),
    )
    client = node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))
    edge_runtime.forget_identity()
    assert _edge_categories(edge_runtime)["HEM"] == ("Hematología", True)

    h = auth_headers(hub_runtime, Role.ADMIN, sede_ids=[])
    hem = catalog_data.catalog_id_for("category", "HEM")
    r = hub_client.put(f"/api/catalog/categories/{hem}", json={"name": "Hematología y coagulación"},
                       headers=h)  # fmt: skip
    assert r.status_code == 200, r.text
    r = hub_client.post("/api/catalog/categories", json={"code": "GEN", "name": "Genética"},
                        headers=h)  # fmt: skip
    gen = r.json()["id"]
    r = hub_client.put(f"/api/catalog/categories/{gen}", json={"active": False}, headers=h)
    assert r.status_code == 200, r.text
    assert sync_service.pull_changes(edge_runtime.engine, client, CLOCK) > 0

    got = _edge_categories(edge_runtime)
    assert got["HEM"] == ("Hematología y coagulación", True)
    assert got["GEN"] == ("Genética", False)
    assert got["BIO"] == ("Bioquímica", True)  # untouched
    r = edge_client.get(
        "/api/catalog/services?limit=500", headers=edge_headers(edge_runtime, Role.RECEPCIONISTA)
    )
    assert r.status_code == 200, r.text
    hemo = next(s for s in r.json()["items"] if s["code"] == "HEM-001")
    assert hemo["category_name"] == "Hematología y coagulación"
