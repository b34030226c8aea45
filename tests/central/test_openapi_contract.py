"""The hub's OpenAPI document is a complete contract: every operation is documented and every
example in it is valid.

The checks are the shared ones of ``tests.openapi_contract``: for each operation a summary and
tags, a documented 4xx/5xx response (except the probes), a 2xx response with a real JSON schema or
an accepted non-JSON media type (PDF, XLSX, CSV, plain text, HTML), an example for a JSON request
body and for each 2xx JSON response; every example in the document validates against its schema
(formats checked, objects closed so that a misspelt or stale field is caught); every model-level
example passes its pydantic model. Here, besides: /metrics is Prometheus text, the shared example
data is valid Peruvian data, and the nulls of examples are restored from the right model.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from central.openapi_examples import common
from domain.clock import parse_business_date
from domain.identity import DocType, is_valid_ruc, validate_document
from domain.ids import company_id_for, default_series, parse_order_number, sede_id_for
from sync import openapi_nulls
from tests.openapi_contract import PDF, XLSX, ContractChecks, Minimums, Spec


@pytest.fixture
def spec(hub_client: TestClient) -> Spec:
    response = hub_client.get("/openapi.json")
    assert response.status_code == 200
    document: Spec = response.json()
    return document


class TestHubContract(ContractChecks):
    what = "the hub /openapi.json"
    package, landmark = "central", "GET /metrics"
    non_json = frozenset({PDF, XLSX, "text/csv", "text/plain", "text/html"})
    minimums = Minimums(operations=100, examples=150, model_examples=100)


def test_metrics_declares_prometheus_text(spec: Spec) -> None:
    content = spec["paths"]["/metrics"]["get"]["responses"]["200"].get("content", {})
    assert list(content) == ["text/plain"], content
    assert isinstance(content["text/plain"].get("example"), str)


def test_model_examples_keep_their_null_values(spec: Spec) -> None:
    """FastAPI drops None inside examples (fastapi#5559); the hub restores them."""
    closure = spec["components"]["schemas"]["ClosureSummary"]["examples"][0]
    assert "closed_at" in closure and closure["closed_at"] is None


def test_example_data_is_valid_peruvian_data() -> None:
    """The shared constants: RUCs with their check digit, an 8-digit DNI, real ids and numbers."""
    assert is_valid_ruc(common.COMPANY_RUC) and is_valid_ruc(common.CONVENIO_RUC)
    assert validate_document(DocType.DNI, common.PATIENT_DNI) == common.PATIENT_DNI
    assert company_id_for(common.COMPANY_RUC) == common.COMPANY_ID
    assert sede_id_for("S01") == common.SEDE_S01_ID
    assert sede_id_for("S02") == common.SEDE_S02_ID
    number = parse_order_number(common.ORDER_NUMBER)
    assert (number.sede_code, number.business_date) == ("S01", date(2026, 11, 29))
    assert parse_business_date(common.BUSINESS_DATE) == date(2026, 11, 29)
    assert common.SERIES_S01 == default_series(1)


def test_null_examples_come_from_the_model_that_published_them() -> None:
    """Two models may share a class name (hub and edge): restore from the one that matches."""

    def model(examples: list[Any]) -> type[BaseModel]:
        class Twin(BaseModel):
            model_config = ConfigDict(json_schema_extra={"examples": examples})
            a: str | None

        return Twin

    alive = [model([{"a": "otro"}]), model([{"a": None, "b": 1}])]  # subclasses are weak refs
    spec: Spec = {"components": {"schemas": {"Twin": {"examples": [{"b": 1}]}}}}
    openapi_nulls.restore_nulls(spec, openapi_nulls.model_examples())
    assert spec["components"]["schemas"]["Twin"]["examples"] == [{"a": None, "b": 1}], alive
