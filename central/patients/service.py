"""Consolidated patients: search across the chain, a patient with its merged ids, and its orders
in every sede.

Search tiers, like the edge's (``edge.patients.search``): the document number equals the query,
then starts with it, then the name (surnames first, ``"QUISPE MA"``) starts with it, compared
by its name key (``central.patients.indexes.name_key``: no accents, case, apostrophes, hyphens
or spaces, so "oconnor" finds "O'CONNOR" and "garcia perez" finds "GARCIA-PEREZ"). Each tier
walks an index in order and stops at the page (``ix_hub_patient_*``), so a page costs the same
however many patients the chain has; ``has_more`` says whether another page exists. Merged
aliases are not listed (their canonical patient is). Every search and read is logged (Ley
29733) without the query's text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.patients.indexes import NAME_KEY_SQL, name_key
from central.sync.models import HubPatient, PatientAlias
from domain.clock import Clock
from domain.errors import InvalidInput, NotFound
from domain.permissions import Role

MAX_QUERY_LENGTH = 100
_DOC = re.compile(r"[0-9A-Z]{1,15}")
_SEPARATORS = re.compile(r"[\s.\-]+")
_COLS = (
    "id, doc_type, doc_number, first_names, last_names, birth_date, sex, phone, email, home_sede_id"
)


Match = Literal["document", "document_prefix", "name_prefix"]


@dataclass(frozen=True)
class Hit:
    patient: dict[str, Any]
    match: Match


@dataclass(frozen=True)
class OrderRow:
    id: str
    number: str
    sede_id: str
    sede_code: str
    business_date: dt.date
    status: str
    total_cents: int
    paid_cents: int
    balance_cents: int
    convenio_id: str | None


def _prefix_range(prefix: str) -> dict[str, str]:
    """Bounds of the strings starting with ``prefix`` in byte order (the ``text_pattern_ops``
    operators ``~>=~`` / ``~<~``): an index range scan whatever plan the server caches, where
    ``LIKE $1`` falls back to a sequential scan once the statement is prepared generically."""
    return {"lo": prefix, "hi": prefix + "\U0010ffff"}


# Pages are ordered with the same operator (``USING ~<~``), so the index hands rows over in
# order and the scan stops at the page instead of sorting every match.


def search(*, session: Session, q: str, limit: int, offset: int) -> tuple[list[Hit], bool]:
    """A page of patients matching ``q`` (ranked by tier), and whether there are more."""
    query = q.strip()
    if not query:
        raise InvalidInput(
            "Escriba un documento o un nombre.", code="query_empty", loc=["query", "q"]
        )
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            f"La búsqueda no puede pasar de {MAX_QUERY_LENGTH} caracteres.",
            code="query_too_long",
            loc=["query", "q"],
        )
    want = offset + limit + 1
    conn = session.connection()
    hits: list[Hit] = []
    seen: set[str] = set()

    def take(match: Match, sql: str, params: dict[str, Any]) -> None:
        rows = conn.execute(text(sql), params | {"n": want - len(hits)}).mappings()
        for row in rows:
            if row["id"] not in seen and len(hits) < want:
                seen.add(row["id"])
                hits.append(Hit(dict(row), match))

    doc = _SEPARATORS.sub("", query).upper()
    base = f"SELECT {_COLS} FROM hub_patient WHERE canonical_id IS NULL AND "
    if _DOC.fullmatch(doc):
        take("document", base + "doc_number = :d ORDER BY doc_type, id LIMIT :n", {"d": doc})
        if len(hits) < want:
            take(
                "document_prefix",
                base + "doc_number ~>=~ :lo AND doc_number ~<~ :hi "
                "ORDER BY doc_number USING ~<~, id LIMIT :n",
                _prefix_range(doc),
            )
    key = name_key(query)  # "O'Connor" -> "OCONNOR", "García-Pérez" -> "GARCIAPEREZ"
    if len(hits) < want and key and not doc.isdigit():  # only apostrophes/hyphens: no name
        take(
            "name_prefix",
            base + f"{NAME_KEY_SQL} ~>=~ :lo AND {NAME_KEY_SQL} ~<~ :hi "
            f"ORDER BY {NAME_KEY_SQL} USING ~<~, id LIMIT :n",
            _prefix_range(key),
        )
    page = hits[offset : offset + limit]
    return page, len(hits) > offset + limit


def get(*, session: Session, patient_id: str) -> tuple[HubPatient, list[str]]:
    """The canonical patient of ``patient_id`` (an alias resolves to it) and every id merged
    into it."""
    alias = session.exec(select(PatientAlias).where(PatientAlias.alias_id == patient_id)).first()
    canonical_id = alias.canonical_id if alias else patient_id
    patient = session.get(HubPatient, canonical_id)
    if patient is None:
        raise NotFound("El paciente no existe.", code="patient_not_found", loc=["path", "id"])
    if patient.canonical_id:
        return get(session=session, patient_id=patient.canonical_id)
    merged = session.exec(
        select(PatientAlias.alias_id).where(col(PatientAlias.canonical_id) == patient.id)
    ).all()
    return patient, sorted(merged)


def orders(
    *,
    session: Session,
    patient_ids: list[str],
    sedes: list[str] | None,
    limit: int,
    offset: int,
) -> tuple[list[OrderRow], int]:
    """The orders of ``patient_ids`` in every sede (or ``sedes``), newest first."""
    scope = " AND r.sede_id = ANY(:s)" if sedes is not None else ""
    where = (
        "r.record_type = 'order' AND r.op <> 'delete' "
        f"AND r.payload->>'patient_id' = ANY(:ids){scope}"
    )
    params = {"ids": patient_ids, "s": sedes or [], "lim": limit, "off": offset}
    conn = session.connection()
    total = int(
        conn.execute(text(f"SELECT count(*) FROM sync_record r WHERE {where}"), params).scalar_one()
    )
    rows = conn.execute(
        text(
            "SELECT r.id, coalesce(r.payload->>'number', ''), r.sede_id, coalesce(s.code, ''), "
            "r.business_date, coalesce(r.payload->>'status', ''), "
            "coalesce((r.payload->>'total')::bigint, 0), "
            "coalesce((r.payload->>'paid_total')::bigint, 0), "
            "coalesce((r.payload->>'balance')::bigint, 0), r.payload->>'convenio_id' "
            f"FROM sync_record r LEFT JOIN sede s ON s.id = r.sede_id WHERE {where} "
            "ORDER BY r.business_date DESC, r.payload->>'number' DESC LIMIT :lim OFFSET :off"
        ),
        params,
    )
    return [
        OrderRow(
            id=r[0], number=r[1], sede_id=r[2] or "", sede_code=r[3],
            business_date=dt.date.fromisoformat(r[4]), status=r[5], total_cents=int(r[6]),
            paid_cents=int(r[7]), balance_cents=int(r[8]), convenio_id=r[9],
        )
        for r in rows
    ], total  # fmt: skip


def sedes_of(user: Principal) -> list[str] | None:
    return None if Role(user.role) is Role.ADMIN else list(user.sede_ids)


def log_access(
    session: Session,
    *,
    clock: Clock,
    actor: Principal,
    action: str,
    patient_id: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Ley 29733: who looked at which patient (searches keep a hash of the query only)."""
    audit.record(
        session, action=action, clock=clock, actor=actor, record_type="patient",
        record_id=patient_id, ip=ip, details=details or {},
    )  # fmt: skip


def query_digest(q: str) -> str:
    return hashlib.sha256(q.strip().casefold().encode()).hexdigest()[:16]
