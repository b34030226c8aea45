"""Two enrolled nodes of a hub (sedes S01 and S02) and raw pushes, for the sync attacks.

Works with a ``TestClient`` or an ``httpx.Client`` pointed at a real ``labred hub serve``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from domain.clock import SystemClock
from domain.hlc import HLC
from domain.ids import new_id, sede_id_for
from sync.protocol import SCHEMA_VERSION

S01 = sede_id_for("S01")
S02 = sede_id_for("S02")


@dataclass(frozen=True)
class NodeCreds:
    node_id: str
    secret: str
    sede_id: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.node_id, self.secret)


def enrol(http: httpx.Client, admin: dict[str, str], sede_id: str) -> NodeCreds:
    """A node of ``sede_id`` registered by an admin and enrolled with its one-time code."""
    r = http.post("/api/sync/nodes", json={"sede_id": sede_id, "name": "nodo"}, headers=admin)
    assert r.status_code in (200, 201), r.text
    r = http.post("/api/sync/enroll", json={"code": r.json()["enrolment_code"]})
    assert r.status_code == 200, r.text
    body = r.json()
    return NodeCreds(body["node_id"], body["secret"], body["sede_id"])


def audit_row(
    seq: int, record_id: str, sede_id: str, action: str, *, node_id: str = "n1"
) -> dict[str, Any]:
    """One outbox row of an edge-owned record (an audit event) as it travels up."""
    return {
        "seq": seq,
        "tx_id": new_id(),
        "record_type": "audit_event",
        "record_id": record_id,
        "op": "upsert",
        "payload": {"id": record_id, "sede_id": sede_id, "action": action, "details": {}},
        "hlc": HLC(node_id.lower(), SystemClock()).now().encode(),
        "schema_version": SCHEMA_VERSION,
        "sede_id": sede_id,
    }


def push(http: httpx.Client, node: NodeCreds, rows: list[dict[str, Any]]) -> httpx.Response:
    batch = {
        "node_id": node.node_id,
        "epoch": 1,
        "from_seq": rows[0]["seq"],
        "to_seq": rows[-1]["seq"],
        "rows": rows,
    }
    return http.post("/api/sync/push", json=batch, auth=node.auth)
