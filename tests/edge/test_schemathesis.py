"""Property-based fuzzing of the edge API (Schemathesis over its OpenAPI): no input gives a 5xx.

Every operation is called as an admin of S01 with generated valid and invalid inputs. The database
is seeded with a demo catalog, an open cash session, a patient, a paid order and its boleta; every
generated case whose path names one of those kinds of record is sent a second time with the real
id, so the handlers behind the 404 are fuzzed too. The only check: the server never answers 5xx
(bad input must be a clear 4xx).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema

from edge.app import create_app
from edge.runtime import EdgeRuntime
from tests.edge.factories import auth_headers
from tests.edge.orders.helpers import load_catalog, sid
from tests.fuzzing import fuzzing_client

# Operations left out of the fuzzing, each with its reason (none so far: every edge operation
# answers fast with the default settings — no SUNAT or laboratory endpoint is configured).
EXCLUDED: dict[tuple[str, str], str] = {}


def _seed(app: Any, rt: EdgeRuntime, headers: dict[str, str]) -> dict[str, str]:
    """Real records for the path parameters, created through the API itself."""
    load_catalog(rt)
    ids: dict[str, str] = {"service_id": sid("HEM-001")}
    with TestClient(app) as client:
        r = client.post("/api/cash/sessions", json={"opening_float": "100.00"}, headers=headers)
        assert r.status_code == 201, r.text
        ids["session_id"] = r.json()["id"]
        patient = {
            "doc_type": "1",
            "doc_number": "45678912",
            "first_names": "ANA MARÍA",
            "last_names": "PÉREZ QUISPE",
        }
        r = client.post("/api/patients", json=patient, headers=headers)
        assert r.status_code == 201, r.text
        ids["patient_id"] = r.json()["id"]
        order = {
            "patient_id": ids["patient_id"],
            "items": [sid("HEM-001")],
            "payments": [{"method": "yape", "amount": "35.00", "reference": "OP-1"}],
        }
        r = client.post("/api/orders", json=order, headers=headers)
        assert r.status_code == 201, r.text
        ids["order_id"] = r.json()["id"]
        r = client.get(f"/api/orders/{ids['order_id']}/samples", headers=headers)
        assert r.status_code == 200, r.text
        samples = r.json()
        samples = samples.get("items", samples) if isinstance(samples, dict) else samples
        if samples:
            ids["sample_id"] = samples[0]["id"]
        r = client.post("/api/billing/receipt", json={"order_id": ids["order_id"]}, headers=headers)
        if r.status_code == 201:
            ids["invoice_id"] = r.json()["id"]
    return ids


@pytest.fixture
def edge_admin_headers(edge_runtime: EdgeRuntime) -> dict[str, str]:
    return auth_headers(edge_runtime, "admin")


@pytest.fixture
def edge_seeded(
    edge_runtime: EdgeRuntime, edge_admin_headers: dict[str, str]
) -> Iterator[dict[str, Any]]:
    # The per-user rate limit would answer 429 to most generated requests: lift it.
    relaxed = edge_runtime.settings.model_copy(update={"rate_limit_per_minute": 10**9})
    app = create_app(relaxed, runtime=edge_runtime)
    ids = _seed(app, edge_runtime, edge_admin_headers)
    with fuzzing_client(app) as client:
        yield {"app": app, "ids": ids, "client": client}


@pytest.fixture
def edge_api_schema(edge_seeded: dict[str, Any]) -> BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", edge_seeded["app"])


schema = schemathesis.pytest.from_fixture("edge_api_schema")
# Excluded here: a filter on the fixture's schema is dropped when Schemathesis 4 loads it.
for method, path in EXCLUDED:
    schema = schema.exclude(method=method, path=path)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # reproducible: CI sees exactly what ran here
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_edge_api_never_answers_5xx(
    case: Case, edge_admin_headers: dict[str, str], edge_seeded: dict[str, Any]
) -> None:
    client = edge_seeded["client"]
    case.call_and_validate(session=client, headers=edge_admin_headers, checks=[not_a_server_error])
    params = case.path_parameters or {}
    real = {k: v for k, v in edge_seeded["ids"].items() if k in params}
    if real:
        case.path_parameters = {**params, **real}
        case.call_and_validate(
            session=client, headers=edge_admin_headers, checks=[not_a_server_error]
        )
