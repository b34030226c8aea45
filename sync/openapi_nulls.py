"""Keep the ``null`` values of examples in ``/openapi.json`` (edge and hub).

FastAPI encodes the OpenAPI document with ``exclude_none=True`` (so that unset OpenAPI fields do
not show up as ``null``), which also drops every ``null`` *inside* an example: a response example
like ``{"taken_at": null, ...}`` would be published without ``taken_at`` and no longer match its
own schema, where the field is required and nullable (fastapi/fastapi#5559). This module
restores them after FastAPI has built the document: each schema ``examples`` entry is replaced
by the model example it was made from, found by comparing with the model examples stripped of
their nulls. Nothing else in the document changes. Route-level examples are not restored: keep
them free of ``None``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

_AMBIGUOUS = object()


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_nulls(v) for v in value]
    return value


def _key(value: Any) -> str:
    return json.dumps(_without_nulls(value), sort_keys=True, ensure_ascii=False)


def _models(root: type[BaseModel] = BaseModel) -> Iterator[type[BaseModel]]:
    for sub in root.__subclasses__():
        yield sub
        yield from _models(sub)


def model_examples() -> dict[str, Any]:
    """Every model-level example of the loaded models, keyed by its null-free JSON."""
    found: dict[str, Any] = {}
    for model in _models():
        extra = model.model_config.get("json_schema_extra")
        if not isinstance(extra, dict):
            continue
        examples = extra.get("examples")
        for example in examples if isinstance(examples, list) else []:
            key = _key(example)
            if found.get(key, example) != example:
                found[key] = _AMBIGUOUS  # two different originals: leave it as FastAPI wrote it
            else:
                found[key] = example
    return found


def restore_nulls(document: Any, originals: dict[str, Any]) -> None:
    """Put back, in place, the nulls of every ``examples`` list found in ``document``."""
    if isinstance(document, list):
        for item in document:
            restore_nulls(item, originals)
        return
    if not isinstance(document, dict):
        return
    for key, value in document.items():
        if key == "examples" and isinstance(value, list):
            for i, example in enumerate(value):
                original = originals.get(_key(example), _AMBIGUOUS)
                if original is not _AMBIGUOUS:
                    value[i] = copy.deepcopy(original)
        else:
            restore_nulls(value, originals)


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) keep the nulls of the model examples."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            restore_nulls(document, model_examples())
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
