"""The hub's OpenAPI document is a complete contract: every operation is documented and every
example in it is valid.

For each operation of ``/openapi.json``: a summary and tags; at least one documented 4xx/5xx
response (except the liveness/readiness probes); a 2xx response with a JSON schema or a declared
non-JSON media type (CSV, PDF, XLSX, plain text, HTML); an example for a JSON request body and for
each 2xx JSON response. Then every example in the document (media-type ``example``/``examples``
and schema ``example``/``examples`` at any depth of a component or inline schema) is validated with
``jsonschema_rs`` against the schema it illustrates, with the document's ``components`` in scope
for ``$ref``. Each failure names the operation (or component) and the problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from central.openapi_examples import common
from domain.clock import parse_business_date
from domain.identity import DocType, is_valid_ruc, validate_document
from domain.ids import company_id_for, default_series, parse_order_number, sede_id_for
from sync import openapi_nulls

METHODS = ("get", "post", "put", "patch", "delete")
PROBES = {("GET", "/health"), ("GET", "/ready")}  # a failing probe is its own answer
NON_JSON = (
    "text/csv",
    "text/plain",
    "text/html",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
# Keywords whose value is a subschema, or a list/dict of subschemas, in JSON Schema 2020-12.
_SUB_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then")
_SUB_LIST = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUB_DICT = ("properties", "patternProperties", "$defs", "dependentSchemas")

Spec = dict[str, Any]


# ------------------------------------------------------------------------- spec helpers
def operations(spec: Spec) -> Iterator[tuple[str, str, Spec]]:
    """``(name, path, operation)`` for every operation, name like ``GET /api/users``."""
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", path, op


def resolve(spec: Spec, schema: Spec) -> Spec:
    """The component a ``$ref`` points to (the schema itself when it is not a reference)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return resolve(spec, spec["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    return schema


def schema_has_example(spec: Spec, schema: Spec | None) -> bool:
    """The schema (through ``$ref``, a non-null ``anyOf`` branch or array items) has an example."""
    if not schema:
        return False
    target = resolve(spec, schema)
    if "example" in target or target.get("examples"):
        return True
    branches = [b for b in target.get("anyOf", []) if b.get("type") != "null"]
    if branches:
        return all(schema_has_example(spec, b) for b in branches)
    if target.get("type") == "array":
        return schema_has_example(spec, target.get("items"))
    return False


def media_has_example(spec: Spec, media: Spec) -> bool:
    return (
        "example" in media
        or bool(media.get("examples"))
        or schema_has_example(spec, media.get("schema"))
    )


def validate(spec: Spec, schema: Spec, instance: Any) -> list[str]:
    """Error messages from validating ``instance`` against ``schema`` (components in scope)."""
    root = {**schema, "components": spec.get("components", {})}
    validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
    return [
        f"{'/'.join(map(str, e.instance_path)) or '<raiz>'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def schema_examples(schema: Any, where: str) -> Iterator[tuple[str, Spec, Any]]:
    """``(where, subschema, example)`` for each example inside ``schema``, at any depth.

    Walks only schema keywords (so a property *named* ``examples`` is not mistaken for one)
    and does not follow ``$ref`` (each component is walked once on its own).
    """
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield where, schema, schema["example"]
    for i, value in enumerate(schema.get("examples") or []):
        yield f"{where} examples[{i}]", schema, value
    for key in _SUB_ONE:
        yield from schema_examples(schema.get(key), f"{where}.{key}")
    for key in _SUB_LIST:
        for i, sub in enumerate(schema.get(key) or []):
            yield from schema_examples(sub, f"{where}.{key}[{i}]")
    for key in _SUB_DICT:
        for name, sub in (schema.get(key) or {}).items():
            yield from schema_examples(sub, f"{where}.{name}")


def media_examples(media: Spec, where: str) -> Iterator[tuple[str, Any]]:
    if "example" in media:
        yield f"{where} example", media["example"]
    for name, entry in (media.get("examples") or {}).items():
        if isinstance(entry, dict) and "value" in entry:
            yield f"{where} examples[{name}]", entry["value"]


# ------------------------------------------------------------------------- checks
def documentation_problems(spec: Spec) -> list[str]:
    """Missing summary, tags, error responses, success content or examples."""
    problems: list[str] = []
    for name, path, op in operations(spec):
        method = name.split(" ", 1)[0]
        if not op.get("summary"):
            problems.append(f"{name}: sin summary")
        if not op.get("tags"):
            problems.append(f"{name}: sin tags")
        responses: Spec = op.get("responses", {})
        if (method, path) not in PROBES and not any(c[0] in "45" for c in responses):
            problems.append(f"{name}: ninguna respuesta 4xx/5xx documentada")
        successes = {c: r for c, r in responses.items() if c.startswith("2")}
        if not successes:
            problems.append(f"{name}: ninguna respuesta 2xx documentada")
        for code, response in successes.items():
            content: Spec = response.get("content") or {}
            if code == "204":
                continue
            if not content:
                problems.append(f"{name}: {code} no declara content")
            for media_type, media in content.items():
                if media_type == "application/json":
                    if not media.get("schema"):
                        problems.append(f"{name}: {code} application/json sin schema")
                    elif not media_has_example(spec, media):
                        problems.append(f"{name}: {code} application/json sin ejemplo")
                elif media_type not in NON_JSON:
                    problems.append(f"{name}: {code} media type inesperado {media_type}")
        body = (op.get("requestBody") or {}).get("content", {})
        json_body = body.get("application/json")
        if json_body is not None and not media_has_example(spec, json_body):
            problems.append(f"{name}: cuerpo JSON sin ejemplo")
    return problems


def example_problems(spec: Spec) -> list[str]:
    """Every example that does not validate against the schema it illustrates."""
    problems: list[str] = []
    for component, schema in spec.get("components", {}).get("schemas", {}).items():
        for where, sub, example in schema_examples(schema, f"components.{component}"):
            problems += [f"{where}: {e}" for e in validate(spec, sub, example)]
    for name, _path, op in operations(spec):
        parts = [("request", (op.get("requestBody") or {}).get("content", {}))]
        parts += [(c, r.get("content") or {}) for c, r in op.get("responses", {}).items()]
        for part, content in parts:
            for media_type, media in content.items():
                where = f"{name} {part} {media_type}"
                schema = media.get("schema")
                for place, sub, example in schema_examples(schema, f"{where} schema"):
                    problems += [f"{place}: {e}" for e in validate(spec, sub, example)]
                for place, example in media_examples(media, where):
                    if schema:
                        problems += [f"{place}: {e}" for e in validate(spec, schema, example)]
                    elif media_type == "application/json":
                        problems.append(f"{place}: ejemplo sin schema")
    return problems


def report(problems: list[str]) -> str:
    return f"{len(problems)} problemas en /openapi.json:\n" + "\n".join(problems)


# ------------------------------------------------------------------------- tests
@pytest.fixture
def spec(hub_client: TestClient) -> Spec:
    response = hub_client.get("/openapi.json")
    assert response.status_code == 200
    document: Spec = response.json()
    return document


def test_hub_has_many_operations(spec: Spec) -> None:
    names = [name for name, _, _ in operations(spec)]
    assert len(names) >= 100, names  # a broken router import would silently shrink the check
    assert "GET /metrics" in names


def test_every_operation_is_documented_with_examples(spec: Spec) -> None:
    problems = documentation_problems(spec)
    assert not problems, report(problems)


def test_every_example_validates_against_its_schema(spec: Spec) -> None:
    problems = example_problems(spec)
    assert not problems, report(problems)


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


# ------------------------------------------------------------------------- the checker itself
TINY: Spec = {
    "paths": {
        "/x": {
            "post": {
                "summary": "X",
                "tags": ["t"],
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}
                },
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Out"},
                                "example": {"n": "dos"},
                            }
                        }
                    },
                    "422": {"description": "x"},
                },
            },
            "get": {"responses": {"200": {"content": {}}}},
        }
    },
    "components": {
        "schemas": {
            "In": {"type": "object", "properties": {"d": {"type": "string", "format": "date"}}},
            "Out": {
                "type": "object",
                "required": ["n"],
                "properties": {"n": {"type": "integer", "examples": ["3"]}},
                "examples": [{}],
            },
        }
    },
}


def test_checker_reports_missing_documentation() -> None:
    problems = documentation_problems(TINY)
    assert "POST /x: cuerpo JSON sin ejemplo" in problems
    assert {"GET /x: sin summary", "GET /x: sin tags"} <= set(problems)
    assert "GET /x: ninguna respuesta 4xx/5xx documentada" in problems
    assert "GET /x: 200 no declara content" in problems
    assert not any(p.startswith("POST /x: 200") for p in problems)  # media example suffices


def test_checker_reports_invalid_examples() -> None:
    bad_date = {**TINY["components"]["schemas"]["In"], "examples": [{"d": "2026-13-45"}]}
    spec = {**TINY, "components": {"schemas": {**TINY["components"]["schemas"], "In": bad_date}}}
    problems = "\n".join(example_problems(spec))
    assert "components.In examples[0]" in problems  # format: date is enforced
    assert "components.Out examples[0]" in problems  # required "n" missing
    assert "components.Out.n examples[0]" in problems  # "3" is not an integer
    assert "POST /x 200 application/json example" in problems  # "dos" is not an integer
