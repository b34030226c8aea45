"""The edge's OpenAPI document is a complete contract: every operation documented, exemplified.

For every operation of ``/openapi.json``: a summary and tags; at least one error response (4xx or
5xx) except the liveness/readiness probes; a 2xx response with a real JSON schema or a declared
non-JSON media type (PDF, XML, xlsx, plain text, HTML); an example for the JSON request body and
for every 2xx JSON response. Then every example in the document — media-type ``example`` and
``examples``, and ``example``/``examples`` of any schema node in components, bodies, responses or
parameters — must validate against its schema (JSON Schema 2020-12, formats checked, and objects
closed so that a misspelt or stale field in an example is caught too), and every model-level
example must pass its pydantic model (the DNI/RUC/name/money validators). The nulls inside
examples, which FastAPI strips from the document, must be there (``sync.openapi_nulls``).

Each failure names the operation (or the schema location) and the problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from domain.errors import LabError
from sync import openapi_nulls

METHODS = ("get", "post", "put", "patch", "delete")
PROBES = {"/health", "/ready"}  # answer without auth and have nothing to refuse
JSON = "application/json"
# JSON Schema keywords whose value is one schema, a list of schemas or a map of schemas.
_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_MANY = ("anyOf", "oneOf", "allOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")
# Keys that only annotate a schema: a schema made of these alone describes nothing.
_ANNOTATIONS = {"title", "description", "examples", "example", "deprecated"}

Spec = dict[str, Any]


@pytest.fixture
def spec(edge_client: TestClient) -> Spec:
    r = edge_client.get("/openapi.json")
    assert r.status_code == 200, r.text
    document: Spec = r.json()
    return document


def _operations(spec: Spec) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", path, op


def _component(spec: Spec, ref: str) -> dict[str, Any]:
    prefix = "#/components/schemas/"
    assert ref.startswith(prefix), f"unexpected $ref {ref}"
    found: dict[str, Any] = spec["components"]["schemas"][ref[len(prefix) :]]
    return found


def _schema_has_example(spec: Spec, schema: dict[str, Any]) -> bool:
    """The schema (its component, each non-null anyOf branch, or its array item) has an example."""
    if "example" in schema or schema.get("examples"):
        return True
    if "$ref" in schema:
        return _schema_has_example(spec, _component(spec, schema["$ref"]))
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if branches:  # an optional body: each of its non-null shapes needs one
        return all(_schema_has_example(spec, b) for b in branches)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return _schema_has_example(spec, schema["items"])
    return False


def _media_has_example(spec: Spec, media: dict[str, Any]) -> bool:
    if "example" in media or media.get("examples"):
        return True
    return _schema_has_example(spec, media.get("schema") or {})


def _is_real_schema(schema: dict[str, Any] | None) -> bool:
    return bool(schema) and bool(set(schema or {}) - _ANNOTATIONS)


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s) in the edge OpenAPI:\n  " + "\n  ".join(problems)


def test_every_operation_is_documented(spec: Spec) -> None:
    problems: list[str] = []
    count = 0
    for name, path, op in _operations(spec):
        count += 1
        if not (op.get("summary") or "").strip():
            problems.append(f"{name}: no summary")
        if not op.get("tags"):
            problems.append(f"{name}: no tags")
        responses: dict[str, Any] = op.get("responses", {})
        if path not in PROBES and not any(code[0] in "45" for code in responses):
            problems.append(f"{name}: no 4xx/5xx response documented")
        ok = {code: r for code, r in responses.items() if code.startswith("2")}
        if not ok:
            problems.append(f"{name}: no 2xx response documented")
        for code, response in ok.items():
            content: dict[str, Any] = response.get("content") or {}
            if code != "204" and not content:
                problems.append(f"{name}: {code} response declares no media type")
            for media_type, media in content.items():
                if "json" in media_type and not _is_real_schema(media.get("schema")):
                    problems.append(f"{name}: {code} {media_type} response has no schema")
    assert count >= 70, f"only {count} operations found: is the app complete?"
    assert not problems, _report(problems)


def test_every_json_body_and_2xx_json_response_has_an_example(spec: Spec) -> None:
    problems: list[str] = []
    for name, _path, op in _operations(spec):
        body = (op.get("requestBody") or {}).get("content", {})
        if JSON in body and not _media_has_example(spec, body[JSON]):
            problems.append(f"{name}: JSON request body without example")
        for code, response in op.get("responses", {}).items():
            media = (response.get("content") or {}).get(JSON)
            if code.startswith("2") and media is not None and not _media_has_example(spec, media):
                problems.append(f"{name}: {code} JSON response without example")
    assert not problems, _report(problems)


# ------------------------------------------------------------------------------ validation
def _closed(schema: Any) -> Any:
    """A copy where objects with declared properties refuse unknown keys (catches stale fields)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _ONE:
        if key in schema:
            out[key] = _closed(schema[key])
    for key in _MANY:
        if key in schema:
            out[key] = [_closed(sub) for sub in schema[key]]
    for key in _MAP:
        if key in schema:
            out[key] = {name: _closed(sub) for name, sub in schema[key].items()}
    if isinstance(schema.get("properties"), dict) and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


def _validator(spec: Spec, schema: dict[str, Any]) -> Any:
    """A 2020-12 validator of ``schema`` whose ``#/components/schemas/X`` refs resolve."""
    schemas = {name: _closed(s) for name, s in spec["components"]["schemas"].items()}
    root = {**_closed(schema), "components": {"schemas": schemas}}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def _schema_nodes(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node inside ``schema``, with a readable location."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for key in _ONE:
        yield from _schema_nodes(schema.get(key), f"{where}.{key}")
    for key in _MANY:
        for i, sub in enumerate(schema.get(key) or []):
            yield from _schema_nodes(sub, f"{where}.{key}[{i}]")
    for key in _MAP:
        for name, sub in (schema.get(key) or {}).items():
            yield from _schema_nodes(sub, f"{where}.{name}" if key == "properties" else where)


def _examples_of_schema(node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "example" in node:
        yield "example", node["example"]
    for i, value in enumerate(node.get("examples") or []):
        yield f"examples[{i}]", value


def _examples_of_media(media: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "example" in media:
        yield "example", media["example"]
    for key, ex in (media.get("examples") or {}).items():
        if isinstance(ex, dict) and "value" in ex:
            yield f"examples[{key}]", ex["value"]


def _all_examples(spec: Spec) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example in the document."""
    for comp_name, comp in spec["components"]["schemas"].items():
        for where, node in _schema_nodes(comp, f"schema {comp_name}"):
            for label, value in _examples_of_schema(node):
                yield f"{where} {label}", node, value
    for name, _path, op in _operations(spec):
        places: list[tuple[str, dict[str, Any]]] = []
        for param in op.get("parameters", []):
            places.append((f"{name} parameter {param.get('name')}", param))
        for media_type, media in ((op.get("requestBody") or {}).get("content") or {}).items():
            places.append((f"{name} request {media_type}", media))
        for code, response in op.get("responses", {}).items():
            for media_type, media in (response.get("content") or {}).items():
                places.append((f"{name} {code} {media_type}", media))
        for where, holder in places:
            schema = holder.get("schema") or {}
            for label, value in _examples_of_media(holder):
                yield f"{where} {label}", schema, value
            for node_where, node in _schema_nodes(schema, f"{where} schema"):
                for label, value in _examples_of_schema(node):
                    yield f"{node_where} {label}", node, value


def test_every_example_validates_against_its_schema(spec: Spec) -> None:
    problems: list[str] = []
    checked = 0
    for where, schema, example in _all_examples(spec):
        checked += 1
        validator = _validator(spec, schema)
        errors = [
            f"{e.message} at /{'/'.join(str(p) for p in e.instance_path)}"
            for e in validator.iter_errors(example)
        ]
        if errors:
            problems.append(f"{where}: example does not validate: {'; '.join(errors[:3])}")
    assert checked >= 100, f"only {checked} examples found"
    assert not problems, _report(problems)


def test_the_validator_catches_a_bad_example(spec: Spec) -> None:
    """The validation above is not vacuous: a wrong type, a stale field and a bad date all fail."""
    validator = _validator(spec, {"$ref": "#/components/schemas/OrderSummary"})
    good = next(iter(_component(spec, "#/components/schemas/OrderSummary")["examples"]))
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "total": 45.0})
    assert not validator.is_valid({**good, "totl": "45.00"})
    assert not validator.is_valid({**good, "business_date": "29/11/2026"})
    bad = dict(good)
    del bad["number"]
    assert not validator.is_valid(bad)


def test_nulls_inside_examples_survive_in_the_document(spec: Spec) -> None:
    """FastAPI drops every null from the document; sync.openapi_nulls puts the examples' back."""
    patient = _component(spec, "#/components/schemas/PatientRead")["examples"][0]
    assert "canonical_id" in patient and patient["canonical_id"] is None
    closure = _component(spec, "#/components/schemas/ClosureRead")["examples"][0]
    assert closure["reopened_at"] is None and closure["reopen_reason"] is None


def test_restore_nulls_leaves_ambiguous_examples_alone() -> None:
    originals = openapi_nulls.model_examples()
    sample = {"a": 1, "b": None}
    originals[openapi_nulls._key(sample)] = sample
    originals[openapi_nulls._key({"c": None})] = openapi_nulls._AMBIGUOUS  # {} or {"c": null}?
    document = {"components": {"X": {"examples": [{"a": 1}, {}, {"z": 2}]}}}
    openapi_nulls.restore_nulls(document, originals)
    assert document["components"]["X"]["examples"] == [{"a": 1, "b": None}, {}, {"z": 2}]


def _edge_models(root: type[BaseModel] = BaseModel) -> Iterator[type[BaseModel]]:
    for sub in root.__subclasses__():
        if sub.__module__.startswith("edge."):
            yield sub
        yield from _edge_models(sub)


def test_every_model_example_passes_the_model_itself(spec: Spec) -> None:
    """Beyond the JSON schema: field validators (DNI, RUC, names, money) accept each example.

    ``spec`` builds the app first, so every edge model module is imported."""
    problems: list[str] = []
    checked = 0
    for model in set(_edge_models()):
        extra = model.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        for i, example in enumerate(examples if isinstance(examples, list) else []):
            checked += 1
            try:
                model.model_validate(example)
            except (ValidationError, LabError) as exc:
                problems.append(f"{model.__module__}.{model.__name__} examples[{i}]: {exc}")
    assert checked >= 90, f"only {checked} model examples found"
    assert not problems, _report(problems)
