"""Request bodies above the limit are refused with 413 before they are read into memory."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.permissions import Role
from edge.runtime import EdgeRuntime
from sync.webapp import LARGE_BODY_PATHS, MAX_BODY_BYTES
from tests.central.auth.factories import auth_headers as hub_headers
from tests.edge.factories import auth_headers

JSON = {"Content-Type": "application/json"}
TOO_LARGE = {
    "detail": [
        {
            "type": "payload_too_large",
            "msg": "El cuerpo de la solicitud supera el máximo de 2 MB.",
            "loc": ["body"],
        }
    ]
}


def _huge_json(size: int) -> bytes:
    """A valid JSON object of about ``size`` bytes (one long address)."""
    return b'{"doc_type": "1", "doc_number": "45871236", "address": "' + b"a" * size + b'"}'


def _chunks(size: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    body = _huge_json(size)
    for i in range(0, len(body), chunk):
        yield body[i : i + chunk]


def _post_patient(
    client: TestClient, rt: EdgeRuntime, content: bytes | Iterator[bytes]
) -> httpx.Response:
    """``POST /api/patients`` of a receptionist with ``content`` as the JSON body."""
    headers = {**auth_headers(rt, Role.RECEPCIONISTA), **JSON}
    return client.post("/api/patients", content=content, headers=headers)


def test_edge_refuses_a_declared_50_mb_body(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    r = _post_patient(edge_client, edge_runtime, _huge_json(50 * 1024 * 1024))
    assert r.status_code == 413
    assert r.json() == TOO_LARGE
    assert r.headers["x-content-type-options"] == "nosniff"


def test_edge_cuts_a_chunked_body_that_grows_past_the_limit(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    r = _post_patient(edge_client, edge_runtime, _chunks(5 * 1024 * 1024))
    assert r.status_code == 413
    assert r.json()["detail"][0]["type"] == "payload_too_large"


def test_a_body_under_the_limit_still_reaches_validation(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    r = _post_patient(edge_client, edge_runtime, _huge_json(MAX_BODY_BYTES - 200))
    assert r.status_code == 422  # the address is too long: the body was read and validated
    assert r.json()["detail"][0]["type"] != "payload_too_large"


def test_hub_refuses_large_bodies_before_buffering_them(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = {**hub_headers(hub_runtime, Role.ADMIN), **JSON}
    big = _huge_json(3 * 1024 * 1024)
    for path in ("/api/auth/login", "/api/catalog/services", "/api/notifications/templates"):
        r = hub_client.post(path, content=big, headers=headers)
        assert r.status_code == 413, path
        assert r.json() == TOO_LARGE
    r = hub_client.post("/api/catalog/services", content=_chunks(3 * 1024 * 1024), headers=headers)
    assert r.status_code == 413
    # a node's push may be larger (still capped), and without credentials it is a 401
    assert LARGE_BODY_PATHS["/api/sync/push"] > MAX_BODY_BYTES
    r = hub_client.post("/api/sync/push", content=big, headers=JSON)
    assert r.status_code == 401
