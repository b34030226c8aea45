"""One checker of an OpenAPI document as a contract, shared by the edge and the hub tests.

- ``documentation_problems``: for every operation a summary and tags; a documented 4xx/5xx
  response (except the probes); a 2xx response whose JSON media has a real schema, or a declared
  non-JSON media type from an accepted list; an example for the JSON request body and for every
  2xx JSON response (on the media, or on its schema through ``$ref``, optional ``anyOf`` and
  array items).
- ``example_problems``: every example in the document (media ``example``/``examples``, and the
  ``example``/``examples`` of any schema node in components, bodies, responses or parameters)
  validates against the schema it illustrates (JSON Schema 2020-12, formats checked,
  ``#/components/schemas`` refs resolved). With ``closed`` (the default) objects with declared
  properties refuse unknown keys, so a misspelt or stale field in an example fails too.
- ``model_example_problems``: each pydantic model's own examples pass the model itself, so the
  field validators (DNI, RUC, names, money) apply beyond the JSON schema.

Every problem is one line naming the operation (or schema location) and what is wrong.
``TINY`` is a small broken document on which ``assert_checker_catches_tiny_breakage`` shows that
the checker is not vacuous. ``ContractChecks`` holds the tests themselves: each test module
subclasses it (``TestEdgeContract``, ``TestHubContract``) with its own media types, model package
and minimum counts, and keeps its side's own tests next to it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any, ClassVar, NamedTuple

import jsonschema_rs
from pydantic import BaseModel, ValidationError

from domain.errors import LabError

Spec = dict[str, Any]

METHODS = ("get", "post", "put", "patch", "delete")
JSON = "application/json"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_REF = "#/components/schemas/"
# JSON Schema 2020-12 keywords whose value is one schema, a list of schemas or a map of schemas.
_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_MANY = ("anyOf", "oneOf", "allOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")
# Keys that only annotate a schema: a schema made of these alone describes nothing.
_ANNOTATIONS = {"title", "description", "examples", "example", "deprecated"}


# ------------------------------------------------------------------------------ walking
def operations(spec: Spec) -> Iterator[tuple[str, str, Spec]]:
    """``(name, path, operation)`` for every operation, the name like ``GET /api/users``."""
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", path, op


def component(spec: Spec, ref: str) -> Spec:
    """The component schema a ``#/components/schemas/X`` reference points to."""
    assert ref.startswith(_REF), f"unexpected $ref {ref}"
    found: Spec = spec["components"]["schemas"][ref[len(_REF) :]]
    return found


def _schema_has_example(spec: Spec, schema: Any) -> bool:
    """The schema (its component, each non-null anyOf branch, or its array item) has an example."""
    if not isinstance(schema, dict) or not schema:
        return False
    if "example" in schema or schema.get("examples"):
        return True
    if "$ref" in schema:
        return _schema_has_example(spec, component(spec, schema["$ref"]))
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if branches:  # an optional body: each of its non-null shapes needs one
        return all(_schema_has_example(spec, b) for b in branches)
    if schema.get("type") == "array":
        return _schema_has_example(spec, schema.get("items"))
    return False


def _media_has_example(spec: Spec, media: Spec) -> bool:
    if "example" in media or media.get("examples"):
        return True
    return _schema_has_example(spec, media.get("schema"))


def _is_real_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and bool(set(schema) - _ANNOTATIONS)


def _schema_examples(schema: Any, where: str) -> Iterator[tuple[str, Spec, Any]]:
    """``(where, node, example)`` for each example of any node inside ``schema``.

    Walks only schema keywords (a property *named* ``examples`` is not taken for one) and does
    not follow ``$ref`` (each component is walked once on its own).
    """
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield f"{where} example", schema, schema["example"]
    for i, value in enumerate(schema.get("examples") or []):
        yield f"{where} examples[{i}]", schema, value
    for key in _ONE:
        yield from _schema_examples(schema.get(key), f"{where}.{key}")
    for key in _MANY:
        for i, sub in enumerate(schema.get(key) or []):
            yield from _schema_examples(sub, f"{where}.{key}[{i}]")
    for key in _MAP:
        for name, sub in (schema.get(key) or {}).items():
            yield from _schema_examples(sub, f"{where}.{name}")


def _media_examples(media: Spec, where: str) -> Iterator[tuple[str, Any]]:
    if "example" in media:
        yield f"{where} example", media["example"]
    for key, entry in (media.get("examples") or {}).items():
        if isinstance(entry, dict) and "value" in entry:
            yield f"{where} examples[{key}]", entry["value"]


def examples(spec: Spec) -> Iterator[tuple[str, Spec | None, Any]]:
    """``(where, schema, example)`` for every example in the document.

    ``schema`` is None for an example of a JSON media (or a parameter) that has no schema; a
    non-JSON media without a schema accepts any example (``{}``)."""
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        yield from _schema_examples(schema, f"components.{name}")
    for name, _path, op in operations(spec):
        places: list[tuple[str, str, Spec]] = []
        for param in op.get("parameters", []):
            places.append((f"{name} parameter {param.get('name')}", JSON, param))
        for media_type, media in ((op.get("requestBody") or {}).get("content") or {}).items():
            places.append((f"{name} request {media_type}", media_type, media))
        for code, response in op.get("responses", {}).items():
            for media_type, media in (response.get("content") or {}).items():
                places.append((f"{name} {code} {media_type}", media_type, media))
        for where, media_type, holder in places:
            schema = holder.get("schema")
            if schema is None and "json" not in media_type:
                schema = {}
            for label, value in _media_examples(holder, where):
                yield label, schema, value
            yield from _schema_examples(schema, f"{where} schema")


# ------------------------------------------------------------------------------ validation
def close_objects(schema: Any) -> Any:
    """A copy where objects with declared properties refuse unknown keys (catches stale fields)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _ONE:
        if key in schema:
            out[key] = close_objects(schema[key])
    for key in _MANY:
        if key in schema:
            out[key] = [close_objects(sub) for sub in schema[key]]
    for key in _MAP:
        if key in schema:
            out[key] = {name: close_objects(sub) for name, sub in schema[key].items()}
    if isinstance(schema.get("properties"), dict) and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


def _components(spec: Spec, *, close: bool) -> Spec:
    schemas: Spec = spec.get("components", {}).get("schemas", {})
    return {name: close_objects(s) for name, s in schemas.items()} if close else schemas


def _make_validator(schema: Spec, schemas: Spec, *, close: bool) -> Any:
    root = {**(close_objects(schema) if close else schema), "components": {"schemas": schemas}}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def validator(spec: Spec, schema: Spec, *, closed: bool = True) -> Any:
    """A 2020-12 validator of ``schema`` (formats checked, component refs resolved)."""
    return _make_validator(schema, _components(spec, close=closed), close=closed)


def example_problems(spec: Spec, *, closed: bool = True) -> list[str]:
    """Every example that does not validate against the schema it illustrates."""
    schemas = _components(spec, close=closed)
    problems: list[str] = []
    for where, schema, example in examples(spec):
        if schema is None:
            problems.append(f"{where}: example without a schema")
            continue
        errors = [
            f"/{'/'.join(map(str, e.instance_path))}: {e.message}"
            for e in _make_validator(schema, schemas, close=closed).iter_errors(example)
        ]
        if errors:
            problems.append(f"{where}: does not validate: {'; '.join(errors[:3])}")
    return problems


# ------------------------------------------------------------------------------ documentation
def documentation_problems(
    spec: Spec, *, probes: Collection[str], non_json: Collection[str]
) -> list[str]:
    """Missing summary, tags, error responses, success content or examples.

    ``probes``: operation names (``GET /health``) exempt from documenting an error response;
    ``non_json``: the media types other than JSON a 2xx response may declare."""
    problems: list[str] = []
    for name, _path, op in operations(spec):
        if not (op.get("summary") or "").strip():
            problems.append(f"{name}: no summary")
        if not op.get("tags"):
            problems.append(f"{name}: no tags")
        responses: Spec = op.get("responses", {})
        if name not in probes and not any(code[0] in "45" for code in responses):
            problems.append(f"{name}: no 4xx/5xx response documented")
        successes = {code: r for code, r in responses.items() if code.startswith("2")}
        if not successes:
            problems.append(f"{name}: no 2xx response documented")
        for code, response in successes.items():
            content: Spec = response.get("content") or {}
            if code != "204" and not content:
                problems.append(f"{name}: {code} response declares no media type")
            for media_type, media in content.items():
                if "json" in media_type:
                    if not _is_real_schema(media.get("schema")):
                        problems.append(f"{name}: {code} {media_type} response has no schema")
                    if media_type == JSON and not _media_has_example(spec, media):
                        problems.append(f"{name}: {code} JSON response without example")
                elif media_type not in non_json:
                    problems.append(f"{name}: {code} unexpected media type {media_type}")
        body: Spec = (op.get("requestBody") or {}).get("content") or {}
        if JSON in body and not _media_has_example(spec, body[JSON]):
            problems.append(f"{name}: JSON request body without example")
    return problems


# ------------------------------------------------------------------------------ models
def models_under(package: str) -> list[type[BaseModel]]:
    """Every imported pydantic model defined in ``package`` or below, in a stable order."""
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__ == package or sub.__module__.startswith(f"{package}."):
                found[f"{sub.__module__}.{sub.__qualname__}"] = sub
    return [found[key] for key in sorted(found)]


def model_examples(models: Iterable[type[BaseModel]]) -> Iterator[tuple[str, type[BaseModel], Any]]:
    """``(where, model, example)`` for each example in a model's ``json_schema_extra``."""
    for model in models:
        extra = model.model_config.get("json_schema_extra")
        found = extra.get("examples") if isinstance(extra, dict) else None
        for i, example in enumerate(found if isinstance(found, list) else []):
            yield f"{model.__module__}.{model.__qualname__} examples[{i}]", model, example


def model_example_problems(models: Iterable[type[BaseModel]]) -> list[str]:
    """Each model example that its own model refuses (field validators included)."""
    problems: list[str] = []
    for where, model, example in model_examples(models):
        try:
            model.model_validate(example)
        except (ValidationError, LabError) as exc:
            problems.append(f"{where}: {exc}")
    return problems


def report(problems: list[str], what: str) -> str:
    return f"{len(problems)} problem(s) in {what}:\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------------------ self-check
TINY: Spec = {
    "paths": {
        "/x": {
            "post": {
                "summary": "X",
                "tags": ["t"],
                "requestBody": {"content": {JSON: {"schema": {"type": "array"}}}},
                "responses": {
                    "200": {
                        "content": {
                            JSON: {"schema": {"$ref": f"{_REF}Out"}, "example": {"n": "dos"}}
                        }
                    },
                    "201": {"content": {"image/png": {}, JSON: {"schema": {"title": "x"}}}},
                    "422": {"description": "x"},
                },
            },
            "get": {
                "summary": " ",
                "responses": {"200": {"content": {}}},
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "integer", "example": "1"}}
                ],
            },
        },
        "/health": {
            "get": {
                "summary": "H",
                "tags": ["t"],
                "responses": {"200": {"content": {"text/plain": {}}}},
            }
        },
    },
    "components": {
        "schemas": {
            "In": {
                "type": "object",
                "properties": {"d": {"type": "string", "format": "date"}},
                "examples": [{"d": "2026-13-45"}],
            },
            "Out": {
                "type": "object",
                "required": ["n"],
                "properties": {"n": {"type": "integer", "examples": ["3"]}},
                "examples": [{}, {"n": 1, "stale": 2}],
            },
        }
    },
}


def assert_checker_catches_tiny_breakage() -> None:
    """The checker is not vacuous: it reports each problem of ``TINY``, and nothing else."""
    docs = documentation_problems(TINY, probes={"GET /health"}, non_json={"text/plain"})
    assert set(docs) == {
        "POST /x: JSON request body without example",
        "POST /x: 201 application/json response has no schema",
        "POST /x: 201 JSON response without example",
        "POST /x: 201 unexpected media type image/png",
        "GET /x: no summary",
        "GET /x: no tags",
        "GET /x: no 4xx/5xx response documented",
        "GET /x: 200 response declares no media type",
    }, docs
    where = {problem.split(":", 1)[0] for problem in example_problems(TINY)}
    assert where == {
        "components.In examples[0]",  # format: date is enforced
        "components.Out examples[0]",  # required "n" missing
        "components.Out examples[1]",  # closed: "stale" is not a field
        "components.Out.n examples[0]",  # "3" is not an integer
        "POST /x 200 application/json example",  # "dos" is not an integer
        "GET /x parameter q schema example",  # "1" is not an integer
    }, where
    open_where = {p.split(":", 1)[0] for p in example_problems(TINY, closed=False)}
    assert open_where == where - {"components.Out examples[1]"}, open_where


# ------------------------------------------------------------------------------ the tests
class Minimums(NamedTuple):
    """How many operations, document examples and model examples there are at least."""

    operations: int
    examples: int
    model_examples: int


class ContractChecks:
    """The shared tests: a ``Test...`` subclass in a test module that has a ``spec`` fixture (the
    document, fetched from the app, so every model module is imported) runs them all."""

    what: ClassVar[str]  # names the document in failure reports
    probes: ClassVar[frozenset[str]] = frozenset({"GET /health", "GET /ready"})  # no 4xx/5xx
    non_json: ClassVar[frozenset[str]]
    package: ClassVar[str]  # whose pydantic models' examples must pass the model
    landmark: ClassVar[str]  # an operation that must be in the document
    minimums: ClassVar[Minimums]  # a broken router import would silently shrink the checks

    def test_has_all_its_operations(self, spec: Spec) -> None:
        names = [name for name, _, _ in operations(spec)]
        assert len(names) >= self.minimums.operations, names
        assert self.landmark in names

    def test_every_operation_is_documented_with_examples(self, spec: Spec) -> None:
        problems = documentation_problems(spec, probes=self.probes, non_json=self.non_json)
        assert not problems, report(problems, self.what)

    def test_every_example_validates_against_its_closed_schema(self, spec: Spec) -> None:
        assert sum(1 for _ in examples(spec)) >= self.minimums.examples, "too few examples found"
        problems = example_problems(spec)
        assert not problems, report(problems, self.what)

    def test_every_model_example_passes_the_model_itself(self, spec: Spec) -> None:
        models = models_under(self.package)
        count = sum(1 for _ in model_examples(models))
        assert count >= self.minimums.model_examples, f"only {count} model examples found"
        problems = model_example_problems(models)
        assert not problems, report(problems, self.what)

    def test_the_checker_catches_a_tiny_broken_document(self) -> None:
        assert_checker_catches_tiny_breakage()
