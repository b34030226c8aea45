"""Patients at the hub: one canonical patient per document, aliases, field-level LWW, conflicts.

A pushed patient image is merged into the canonical ``HubPatient``:

- an unknown id whose (doc_type, doc_number) already has a canonical patient becomes an
  alias of it (``PatientAlias``, flows down so edges re-point their rows) and a
  ``duplicate_identity`` conflict is recorded;
- each field the node changed (its value differs from the node's previous image of the
  record, when the hub has one) is decided by HLC last-writer-wins; the losing value of a
  concurrent edit (a value another writer set) is recorded as a ``concurrent_field_edit``
  conflict with both versions, resolvable by an admin;
- a stamp beyond the hub's clock plus the maximum offset never wins a field already set.

Every merge touches the canonical row, so the pushing edge receives the merged result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from central.sync.models import HubPatient, PatientAlias, PatientSource, SyncConflict
from sync.wire import to_wire

LWW_FIELDS: tuple[str, ...] = (
    "doc_type",
    "doc_number",
    "first_names",
    "last_names",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address",
)


def _from_wire(field: str, value: Any) -> Any:
    if field == "birth_date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _ts(value: Any, fallback: dt.datetime) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except ValueError:
            return fallback
    return fallback


def canonical_for(session: Session, patient_id: str) -> str:
    alias = session.exec(select(PatientAlias).where(PatientAlias.alias_id == patient_id)).first()
    return alias.canonical_id if alias else patient_id


class PatientBatch:
    """The patients of one pushed batch, merged with a handful of queries (prefetched by id,
    alias and document, locked ``FOR UPDATE``) instead of several per row."""

    def __init__(
        self, session: Session, *, node_id: str, sede_id: str | None, payloads: list[dict[str, Any]]
    ) -> None:
        self.session, self.node_id, self.sede_id = session, node_id, sede_id
        pids = sorted({str(p["id"]) for p in payloads})
        self.aliases: dict[str, str] = {
            a.alias_id: a.canonical_id
            for a in session.exec(select(PatientAlias).where(col(PatientAlias.alias_id).in_(pids)))
        }
        targets = sorted({self.aliases.get(pid, pid) for pid in pids})
        self.by_id: dict[str, HubPatient] = {
            p.id: p
            for p in session.exec(
                select(HubPatient).where(col(HubPatient.id).in_(targets)).with_for_update()
            )
        }
        docs = sorted({str(p.get("doc_number")) for p in payloads})
        _lock_documents(session, {f"{p.get('doc_type')}:{p.get('doc_number')}" for p in payloads})
        self.by_doc: dict[tuple[str, str], HubPatient] = {}
        for p in session.exec(
            select(HubPatient)
            .where(col(HubPatient.doc_number).in_(docs))
            .order_by(col(HubPatient.created_at).desc(), col(HubPatient.id).desc())
            .with_for_update()
        ):
            self.by_doc[(p.doc_type, p.doc_number)] = p  # the earliest wins (last assigned)
            self.by_id.setdefault(p.id, p)
        self.sources: dict[str, PatientSource] = {
            s.patient_id: s
            for s in session.exec(
                select(PatientSource).where(
                    col(PatientSource.patient_id).in_(pids), PatientSource.node_id == node_id
                )
            )
        }

    def apply(self, *, payload: dict[str, Any], hlc: str, trusted: bool, now: dt.datetime) -> int:
        """Merge one pushed patient image; returns the number of conflicts opened."""
        session, node_id, sede_id = self.session, self.node_id, self.sede_id
        pid = str(payload["id"])
        target = self.aliases.get(pid, pid)
        patient = self.by_id.get(target)
        opened = 0
        if patient is None:
            doc = (str(payload.get("doc_type")), str(payload.get("doc_number")))
            existing = self.by_doc.get(doc)
            if existing is None:
                created = _create(session, payload=payload, hlc=hlc, node_id=node_id, now=now)
                self.by_id[created.id] = created
                self.by_doc[doc] = created
                self._remember(pid, payload, hlc)
                return 0
            patient = existing
            self.aliases[pid] = patient.id
            session.add(PatientAlias(alias_id=pid, canonical_id=patient.id, merged_at=now))
            session.add(
                SyncConflict(
                    kind="duplicate_identity",
                    record_type="patient",
                    record_id=patient.id,
                    kept_value=patient.id,
                    other_value=pid,
                    other_hlc=hlc,
                    other_node=node_id,
                    node_id=node_id,
                    sede_id=sede_id,
                    details={
                        "doc_type": patient.doc_type,
                        "doc_number": patient.doc_number,
                        "merged": "auto",
                    },
                    status="resolved",
                    resolution="merged",
                    resolved_by="auto",
                    resolved_at=now,
                    created_at=now,
                )
            )
            opened += 1
        source = self.sources.get(pid)
        base = source.payload if source is not None else None
        field_hlc = dict(patient.field_hlc or {})
        field_node = dict(patient.field_node or {})
        for field in LWW_FIELDS:
            incoming = payload.get(field)
            if base is not None and base.get(field) == incoming:
                continue  # this node did not change the field
            current = to_wire(getattr(patient, field))
            if incoming == current:
                continue
            cur_hlc, cur_node = field_hlc.get(field), field_node.get(field)
            wins = (trusted or current is None) and (cur_hlc is None or hlc > cur_hlc)
            concurrent = cur_node is not None and cur_node != node_id
            if wins:
                if concurrent and current is not None:
                    opened += _conflict(
                        session,
                        patient,
                        field,
                        incoming,
                        hlc,
                        node_id,
                        current,
                        cur_hlc,
                        cur_node,
                        sede_id,
                        now,
                    )
                setattr(patient, field, _from_wire(field, incoming))
                field_hlc[field], field_node[field] = hlc, node_id
            else:
                opened += _conflict(
                    session,
                    patient,
                    field,
                    current,
                    cur_hlc,
                    cur_node,
                    incoming,
                    hlc,
                    node_id,
                    sede_id,
                    now,
                )
        patient.field_hlc, patient.field_node = field_hlc, field_node
        if trusted and (patient.row_hlc is None or hlc > patient.row_hlc):
            patient.row_hlc = hlc
        patient.updated_at = now  # always touched: the pushing edge pulls the merged result
        session.add(patient)
        self._remember(pid, payload, hlc)
        return opened

    def _remember(self, pid: str, payload: dict[str, Any], hlc: str) -> None:
        source = self.sources.get(pid)
        if source is None:
            source = PatientSource(
                patient_id=pid, node_id=self.node_id, payload=dict(payload), hlc=hlc
            )
            self.sources[pid] = source
        else:
            source.payload, source.hlc = dict(payload), hlc
        self.session.add(source)


def _lock_documents(session: Session, keys: set[str]) -> None:
    """Serialise, until commit, the batches that hold patients of the same documents.

    A ``SELECT ... FOR UPDATE`` of a document nobody holds yet locks nothing, so two sedes
    pushing a new patient with the same document at the same moment each created a canonical
    patient. Transaction-level advisory locks on the documents, taken in sorted order (no
    deadlock between batches), make the second batch wait and then find the first one's row.
    """
    if not keys:
        return
    session.connection().execute(
        text(
            "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 7))) "
            "FROM (SELECT k FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k) AS docs"
        ),
        {"keys": sorted(keys)},
    )


def _create(
    session: Session, *, payload: dict[str, Any], hlc: str, node_id: str, now: dt.datetime
) -> HubPatient:
    values = {f: _from_wire(f, payload.get(f)) for f in LWW_FIELDS}
    patient = HubPatient(
        id=str(payload["id"]),
        home_sede_id=str(payload.get("home_sede_id") or ""),
        canonical_id=None,
        row_hlc=hlc,
        created_by=payload.get("created_by"),
        created_at=_ts(payload.get("created_at"), now),
        updated_at=now,
        field_hlc=dict.fromkeys(LWW_FIELDS, hlc),
        field_node=dict.fromkeys(LWW_FIELDS, node_id),
        **values,
    )
    session.add(patient)
    return patient


def _conflict(
    session: Session,
    patient: HubPatient,
    field: str,
    kept: Any,
    kept_hlc: Any,
    kept_node: Any,
    other: Any,
    other_hlc: Any,
    other_node: Any,
    sede_id: str | None,
    now: dt.datetime,
) -> int:
    session.add(
        SyncConflict(
            kind="concurrent_field_edit",
            record_type="patient",
            record_id=patient.id,
            field=field,
            kept_value=kept,
            kept_hlc=kept_hlc,
            kept_node=kept_node,
            other_value=other,
            other_hlc=other_hlc,
            other_node=other_node,
            node_id=other_node if other_node != kept_node else kept_node,
            sede_id=sede_id,
            created_at=now,
        )
    )
    return 1


def set_field(patient: HubPatient, field: str, value: Any, *, hlc: str, now: dt.datetime) -> None:
    """An admin's resolution: the chosen value, stamped by the hub so it wins everywhere."""
    setattr(patient, field, _from_wire(field, value))
    patient.field_hlc = {**(patient.field_hlc or {}), field: hlc}
    patient.field_node = {**(patient.field_node or {}), field: "hub"}
    patient.row_hlc = hlc
    patient.updated_at = now
