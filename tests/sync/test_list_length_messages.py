"""A list of the wrong length says what to do, with the constraint's numbers (Spanish)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from domain.permissions import Role
from edge.runtime import EdgeRuntime
from sync import webapp
from tests.edge.factories import auth_headers


class _Body(BaseModel):
    items: list[int] = Field(min_length=2, max_length=3)
    payments: list[int] = Field(default_factory=list, max_length=1)


def _client() -> TestClient:
    app = FastAPI()
    webapp.install(app)

    @app.post("/x")
    def take(body: _Body) -> dict[str, str]:
        return {"ok": "yes"}

    return TestClient(app)


def test_too_short_and_too_long_name_the_limit() -> None:
    client = _client()
    short = client.post("/x", json={"items": [1]})
    assert short.status_code == 422
    assert short.json()["detail"] == [
        {"type": "too_short", "msg": "Ítems: debe tener al menos 2 elementos.",
         "loc": ["body", "items"]}
    ]  # fmt: skip
    long = client.post("/x", json={"items": [1, 2, 3, 4], "payments": [1, 2]})
    msgs = [d["msg"] for d in long.json()["detail"]]
    assert msgs == [
        "Ítems: puede tener como máximo 3 elementos.",
        "Pagos: puede tener como máximo 1 elemento.",
    ]


def test_an_order_without_items_asks_for_at_least_one(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    r = edge_client.post(
        "/api/orders",
        json={"patient_id": "0190d2b4-1111-7000-8000-000000000001", "items": []},
        headers=auth_headers(edge_runtime, Role.RECEPCIONISTA),
    )
    assert r.status_code == 422
    assert {"type": "too_short", "msg": "Ítems: debe tener al menos 1 elemento.",
            "loc": ["body", "items"]} in r.json()["detail"]  # fmt: skip
