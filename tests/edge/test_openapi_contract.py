"""The edge's OpenAPI document is a complete contract: every operation documented, exemplified.

The checks are the shared ones of ``tests.openapi_contract``: for every operation a summary and
tags, an error response (except the probes), a 2xx response with a real JSON schema or an accepted
non-JSON media type (PDF, XML, xlsx, plain text, HTML), an example for the JSON request body and
for every 2xx JSON response; every example in the document validates against its schema (formats
checked, objects closed so that a misspelt or stale field is caught); every model-level example
passes its pydantic model (the DNI/RUC/name/money validators). Here, besides: the validator
refuses a broken real example, and the nulls inside examples, which FastAPI strips from the
document, are restored (``sync.openapi_nulls``).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sync import openapi_nulls
from tests.openapi_contract import PDF, XLSX, ContractChecks, Minimums, Spec, component, validator


@pytest.fixture
def spec(edge_client: TestClient) -> Spec:
    r = edge_client.get("/openapi.json")
    assert r.status_code == 200, r.text
    document: Spec = r.json()
    return document


class TestEdgeContract(ContractChecks):
    what = "the edge OpenAPI"
    package, landmark = "edge", "POST /api/orders"
    non_json = frozenset({PDF, XLSX, "application/xml", "text/plain", "text/html"})
    minimums = Minimums(operations=70, examples=100, model_examples=90)


def test_the_validator_catches_a_bad_real_example(spec: Spec) -> None:
    """A wrong type, a stale field, a bad date and a missing field all fail on OrderSummary."""
    check = validator(spec, {"$ref": "#/components/schemas/OrderSummary"})
    good = component(spec, "#/components/schemas/OrderSummary")["examples"][0]
    assert check.is_valid(good)
    assert not check.is_valid({**good, "total": 45.0})
    assert not check.is_valid({**good, "totl": "45.00"})
    assert not check.is_valid({**good, "business_date": "29/11/2026"})
    assert not check.is_valid({k: v for k, v in good.items() if k != "number"})


def test_nulls_inside_examples_survive_in_the_document(spec: Spec) -> None:
    """FastAPI drops every null from the document; sync.openapi_nulls puts the examples' back."""
    patient = component(spec, "#/components/schemas/PatientRead")["examples"][0]
    assert "canonical_id" in patient and patient["canonical_id"] is None
    closure = component(spec, "#/components/schemas/ClosureRead")["examples"][0]
    assert closure["reopened_at"] is None and closure["reopen_reason"] is None


def test_restore_nulls_leaves_ambiguous_examples_alone() -> None:
    originals = openapi_nulls.model_examples()
    sample = {"a": 1, "b": None}
    originals[openapi_nulls._key(sample)] = sample
    originals[openapi_nulls._key({"c": None})] = openapi_nulls._AMBIGUOUS  # {} or {"c": null}?
    document = {"components": {"X": {"examples": [{"a": 1}, {}, {"z": 2}]}}}
    openapi_nulls.restore_nulls(document, originals)
    assert document["components"]["X"]["examples"] == [{"a": 1, "b": None}, {}, {"z": 2}]
