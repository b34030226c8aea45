"""Upcasters: pure functions that lift an older payload to the current schema.

Outbox rows are immutable and keep the schema version they were written with, so an edge one
version behind keeps pushing: the hub runs the payload through the chain
``v -> v+1 -> ... -> SCHEMA_VERSION`` before validating and storing it. Each step is a pure
function of ``(record_type, payload)`` returning a new dict (the input is never mutated); a
step only adds fields with defaults or renames them, never drops money or identity fields.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from domain.errors import InvalidInput
from sync.protocol import SCHEMA_VERSION

Payload = dict[str, Any]
Step = Callable[[str, Payload], Payload]

# from_version -> step lifting a payload of that version to from_version + 1.
# Schema 1 is the first: no step yet. A step for version N is added with the bump to N + 1.
UPCASTERS: dict[int, Step] = {}


def upcast(
    record_type: str,
    payload: Mapping[str, Any],
    version: int,
    *,
    target: int = SCHEMA_VERSION,
    chain: Mapping[int, Step] | None = None,
) -> Payload:
    """``payload`` of ``version`` lifted to ``target`` (a copy; the input is never mutated).

    Raises ``InvalidInput`` (``schema_too_new``) for a version above ``target`` and
    (``schema_unknown``) when a step of the chain is missing.
    """
    steps = UPCASTERS if chain is None else chain
    if version > target:
        raise InvalidInput(
            f"El esquema {version} es más nuevo que el de la central ({target}).",
            code="schema_too_new",
            loc=["schema_version"],
        )
    if version < 1:
        raise InvalidInput(
            f"Versión de esquema inválida: {version}.",
            code="schema_unknown",
            loc=["schema_version"],
        )
    if version == target:
        return dict(payload)  # nothing to lift: a shallow copy (steps never share state)
    out: Payload = copy.deepcopy(dict(payload))
    for v in range(version, target):
        step = steps.get(v)
        if step is None:
            raise InvalidInput(
                f"No se sabe convertir datos del esquema {v} al {v + 1}.",
                code="schema_unknown",
                loc=["schema_version"],
            )
        out = step(record_type, copy.deepcopy(out))
    return out


def add_field(name: str, default: Any, *, types: set[str] | None = None) -> Step:
    """A step that adds ``name`` (when absent) with ``default`` to the given record types."""

    def step(record_type: str, payload: Payload) -> Payload:
        if (types is None or record_type in types) and name not in payload:
            payload[name] = copy.deepcopy(default)
        return payload

    return step


def rename_field(old: str, new: str, *, types: set[str] | None = None) -> Step:
    """A step that renames ``old`` to ``new`` (keeping ``new`` if both exist)."""

    def step(record_type: str, payload: Payload) -> Payload:
        if (types is None or record_type in types) and old in payload:
            value = payload.pop(old)
            payload.setdefault(new, value)
        return payload

    return step
