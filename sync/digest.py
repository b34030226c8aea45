"""Order-independent digests of replicated tables (PowerSync-style checkpoints).

At the end of a pull the hub sends, per hub-owned record type, a digest of the rows the node
should hold; the edge computes the same over its mirror table and re-snapshots a table whose
digest differs (drift: a lost change, a hand edit, a bug). The digest is the count plus the
sum modulo 2**256 of a SHA-256 per row, so it does not depend on row order and, unlike XOR,
a row held twice changes it. Only the fields both sides store (the record's projection) count.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sync.records import HUB_RECORD_MODELS

_MOD = 1 << 256

PATIENT_FIELDS: tuple[str, ...] = (
    "id",
    "doc_type",
    "doc_number",
    "first_names",
    "last_names",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address",
    "home_sede_id",
    "canonical_id",
)

# Record types whose mirror tables the edges hold, with the fields that count.
PROJECTIONS: dict[str, tuple[str, ...]] = {
    **{
        rtype: tuple(model.model_fields)
        for rtype, model in HUB_RECORD_MODELS.items()
        if rtype != "patient_alias"
    },
    "patient": PATIENT_FIELDS,
}


def _norm(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def project(record_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``payload`` that a digest of ``record_type`` covers."""
    fields = PROJECTIONS[record_type]
    return {f: _norm(payload.get(f)) for f in fields}


def row_hash(record_type: str, payload: Mapping[str, Any]) -> int:
    text = json.dumps(project(record_type, payload), sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def fold(total: int, row: int, sign: int = 1) -> int:
    """``total`` plus (``sign=-1``: minus) one row hash, modulo 2**256: digests are additive,
    so a row's old image can be taken out of a sum and its new one put in."""
    return (total + sign * row) % _MOD


def digest_text(count: int, total: int) -> str:
    """The wire form of ``count`` rows whose hashes sum to ``total``: ``"<count>:<hex sum>"``."""
    return f"{count}:{total % _MOD:064x}"


def table_digest(record_type: str, payloads: Iterable[Mapping[str, Any]]) -> str:
    """``"<count>:<hex sum>"`` over ``payloads`` (any order)."""
    total = 0
    count = 0
    for payload in payloads:
        total = fold(total, row_hash(record_type, payload))
        count += 1
    return digest_text(count, total)


EMPTY_DIGEST = table_digest("company", [])
