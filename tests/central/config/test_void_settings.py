"""The factura-cancellation policy (``sunat.factura_void``, ``sunat.baja_days``) is a hub
setting: validated with stable codes, kept in the history, and it reaches the edges' ``setting``
mirror, where :func:`edge.billing.voids.policy` reads it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from central.config.models import Setting
from central.runtime import HubRuntime
from domain.clock import SystemClock
from domain.permissions import Role
from edge.billing import voids
from edge.db import read_session
from edge.runtime import EdgeRuntime
from edge.sync import service as edge_sync
from edge.sync.enroll import enroll, load_credentials
from tests.central.auth.factories import auth_headers
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client

URL = "/api/config/settings"


def test_defaults_update_stored_under_the_edge_keys_and_history(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    body = hub_client.get(URL, headers=headers).json()
    assert (body["sunat_factura_void"], body["sunat_baja_days"]) == ("baja", 3)
    r = hub_client.put(
        URL, json={"sunat_factura_void": "nota_credito", "sunat_baja_days": 5}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["sunat_factura_void"], r.json()["sunat_baja_days"]) == ("nota_credito", 5)
    hub_client.put(URL, json={"sunat_baja_days": 7}, headers=headers)
    with Session(hub_runtime.engine) as session:
        stored = {s.key: s.value for s in session.exec(select(Setting)).all()}
    assert stored["sunat.factura_void"] == "nota_credito" and stored["sunat.baja_days"] == 7
    assert "sunat_factura_void" not in stored and "sunat_baja_days" not in stored
    history = hub_client.get(URL.replace("settings", "history"), params={"entity": "setting"},
                             headers=headers).json()["items"]  # fmt: skip
    changes = [(h["field"], h["old_value"], h["new_value"]) for h in history]
    assert changes[0] == ("sunat_baja_days", 5, 7)
    assert set(changes[1:]) == {("sunat_factura_void", "baja", "nota_credito"),
                                ("sunat_baja_days", 3, 5)}  # fmt: skip
    assert hub_client.get(URL, headers=headers).json()["sunat_baja_days"] == 7


def test_bad_values_have_stable_codes_and_spanish_messages(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sunat_factura_void": "anular"}, "factura_void_mode_invalid"),
        ({"sunat_factura_void": ""}, "factura_void_mode_invalid"),
        ({"sunat_factura_void": 1}, "factura_void_mode_invalid"),
        ({"sunat_baja_days": 0}, "baja_days_out_of_range"),
        ({"sunat_baja_days": 8}, "baja_days_out_of_range"),
        ({"sunat_baja_days": -3}, "baja_days_out_of_range"),
        ({"sunat_baja_days": "3"}, "baja_days_not_integer"),
        ({"sunat_baja_days": 2.5}, "baja_days_not_integer"),
        ({"sunat_baja_days": True}, "baja_days_not_integer"),
    ]
    for body, code in cases:
        r = hub_client.put(URL, json=body, headers=headers)
        assert r.status_code == 422, body
        detail = r.json()["detail"][0]
        assert detail["type"] == code and detail["loc"] == ["body", next(iter(body))], body
        assert detail["msg"][0].isupper() and ("baja" in detail["msg"]), body
    # nothing was half-applied: a valid field beside a bad one is refused too
    r = hub_client.put(
        URL, json={"sunat_factura_void": "nota_credito", "sunat_baja_days": 9}, headers=headers
    )
    assert r.status_code == 422
    body = hub_client.get(URL, headers=headers).json()
    assert (body["sunat_factura_void"], body["sunat_baja_days"]) == ("baja", 3)
    # the mode is normalised
    r = hub_client.put(URL, json={"sunat_factura_void": " Nota_Credito "}, headers=headers)
    assert r.status_code == 200 and r.json()["sunat_factura_void"] == "nota_credito"


def test_a_hub_change_reaches_the_edge_and_changes_its_void_policy(
    hub_client: TestClient, hub_runtime: HubRuntime, edge_runtime: EdgeRuntime
) -> None:
    clock = SystemClock()
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    enroll(
        edge_runtime.engine,
        edge_runtime.settings.data_dir,
        hub_url="http://hub",
        code=new_code(hub_client, sede),
        clock=clock,
        client=node_client(hub_client),
    )
    client = node_client(hub_client, load_credentials(edge_runtime.settings.data_dir))

    def edge_policy() -> tuple[str, int]:
        with read_session(edge_runtime.engine) as session:
            return voids.policy(session)

    assert edge_policy() == ("baja", 3)
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.put(
        URL, json={"sunat_factura_void": "nota_credito", "sunat_baja_days": 5}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert edge_policy() == ("baja", 3)  # not before the edge pulls
    edge_sync.pull_changes(edge_runtime.engine, client, clock)
    assert edge_policy() == ("nota_credito", 5)
    hub_client.put(URL, json={"sunat_factura_void": "baja", "sunat_baja_days": 2}, headers=headers)
    edge_sync.pull_changes(edge_runtime.engine, client, clock)
    assert edge_policy() == ("baja", 2)
