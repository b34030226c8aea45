"""The 413 ``payload_too_large`` answer is in ``/openapi.json`` of both apps: on every operation
that takes a body (from one shared declaration), with its path's limit, in the error shape."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sync.webapp import body_limit


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    ]


def _check(document: dict[str, Any]) -> int:
    with_body = 0
    for path, method, op in _operations(document):
        doc = op["responses"].get("413")
        if "requestBody" not in op:
            assert doc is None, f"{method.upper()} {path} takes no body but documents 413"
            continue
        with_body += 1
        assert doc is not None, f"{method.upper()} {path} takes a body but does not document 413"
        content = doc["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
        mb = body_limit(path) // (1024 * 1024)
        assert content["example"]["detail"][0]["type"] == "payload_too_large"
        assert f"{mb} MB" in content["example"]["detail"][0]["msg"]
        assert f"{mb} MB" in doc["description"]
    return with_body


def test_edge_documents_413_on_every_route_with_a_body(edge_client: TestClient) -> None:
    document = edge_client.get("/openapi.json").json()
    assert _check(document) > 20
    assert (
        "/api/lab-sync/results" not in document["paths"]
        or "32 MB"
        in (document["paths"]["/api/lab-sync/results"]["post"]["responses"]["413"]["description"])
    )


def test_hub_documents_413_on_every_route_with_a_body(hub_client: TestClient) -> None:
    document = hub_client.get("/openapi.json").json()
    assert _check(document) > 20
    push = document["paths"]["/api/sync/push"]["post"]["responses"]["413"]
    assert "64 MB" in push["description"]
