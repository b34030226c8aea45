"""The node registry: creation with a one-time enrolment code, enrolment, revocation, node
authentication, per-node status, conflicts and the series state a restored node needs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from central.config.models import Sede
from central.config.sede_order import sede_code_order
from central.sync.models import HubPatient, Inbox, Node, ParkedRow, SyncConflict
from central.sync.patients import set_field
from central.sync.restore import resume_seq
from central.sync.service import hub_hlc
from domain.clock import Clock
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from sync import changefeed

ENROL_TTL = dt.timedelta(hours=24)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _normalise_code(code: str) -> str:
    return code.strip().upper()


def create_node(*, session: Session, sede_id: str, name: str, clock: Clock) -> tuple[Node, str]:
    """A node for ``sede_id`` (or the existing one, re-enrolled) and its one-time code."""
    now = clock.now()
    node = session.exec(
        select(Node).where(Node.sede_id == sede_id, col(Node.revoked).is_(False))
    ).first()
    if node is None:
        node = Node(sede_id=sede_id, name=name, created_at=now)
    code = _new_code()
    node.name = name or node.name
    node.enrol_code_hash = _hash(code)
    node.enrol_expires_at = now + ENROL_TTL
    session.add(node)
    session.flush()
    return node, code


def enroll(*, session: Session, code: str, acked_seq: int, clock: Clock) -> tuple[Node, str]:
    """Exchange a one-time code for the node's credentials; bumps the epoch. The new epoch's
    inbox starts at :func:`central.sync.restore.resume_seq` (see :func:`inbox_mark`)."""
    now = clock.now()
    node = session.exec(
        select(Node).where(Node.enrol_code_hash == _hash(_normalise_code(code))).with_for_update()
    ).first()
    if node is None or node.enrol_expires_at is None or node.enrol_expires_at < now:
        raise Unauthorized(
            "El código de enrolamiento no es válido o ya venció.",
            code="enrolment_code_invalid",
            loc=["code"],
        )
    if node.revoked:
        raise Forbidden("El nodo fue revocado.", code="node_revoked")
    secret = secrets.token_urlsafe(32)
    node.epoch += 1
    node.secret_hash = _hash(secret)
    node.enrol_code_hash = None
    node.enrol_expires_at = None
    node.enrolled_at = node.last_seen_at = now
    node.pull_cursor = 0
    session.add(node)
    hwm = resume_seq(session=session, node_id=node.id, acked_seq=acked_seq)
    session.add(Inbox(node_id=node.id, epoch=node.epoch, hwm=hwm, updated_at=now))
    session.flush()
    return node, secret


def inbox_mark(*, session: Session, node: Node) -> int:
    """The high-water mark of the node's current epoch (after :func:`enroll`: its resume seq)."""
    inbox = session.get(Inbox, (node.id, node.epoch))
    return inbox.hwm if inbox else 0


def revoke(*, session: Session, node_id: str, clock: Clock) -> Node:
    node = session.get(Node, node_id)
    if node is None:
        raise NotFound("Nodo no encontrado.", code="node_not_found", loc=["node_id"])
    node.revoked = True
    node.revoked_at = clock.now()
    node.secret_hash = None
    node.enrol_code_hash = None
    session.add(node)
    return node


def authenticate(*, session: Session, node_id: str, secret: str) -> Node:
    node = session.get(Node, node_id)
    if node is None or node.secret_hash is None and not node.revoked:
        raise Unauthorized("Credenciales de nodo inválidas.", code="node_credentials_invalid")
    if node.revoked:
        raise Forbidden("El nodo fue revocado; vuelva a enrolarlo.", code="node_revoked")
    if not hmac.compare_digest(node.secret_hash or "", _hash(secret)):
        raise Unauthorized("Credenciales de nodo inválidas.", code="node_credentials_invalid")
    return node


def list_nodes(*, session: Session) -> list[Node]:
    """Every node, by sede code (natural: S2 < S10), then oldest first."""
    query = (
        select(Node)
        .outerjoin(Sede, col(Sede.id) == col(Node.sede_id))
        .order_by(*sede_code_order(col(Sede.code)), col(Node.sede_id), col(Node.created_at))
    )
    return list(session.exec(query))


def push_lag(node: Node, now: dt.datetime) -> float | None:
    """Seconds the hub may be behind the node's changes (None: it never pushed).

    Every instant here is the hub's, ``now`` included: the node's receive times, never its own
    clock, so a sede whose clock is hours off does not read hours behind. Counted from the
    last push received, unless the node has had nothing to send since: its last push left no
    backlog and it pulled after it (the node pushes what it has before every pull), so an idle
    sede in touch with the hub reads seconds, not the hours since its last sale; one that stopped
    calling grows from its last contact. Never negative (a hub clock set back)."""
    if node.last_push_at is None:
        return None
    since = node.last_push_at
    if node.reported_backlog == 0 and node.last_pull_at is not None and node.last_pull_at > since:
        since = node.last_pull_at
    return max(0.0, (now - since).total_seconds())


def node_status(*, session: Session, node_id: str, clock: Clock) -> dict[str, Any]:
    node = session.get(Node, node_id)
    if node is None:
        raise NotFound("Nodo no encontrado.", code="node_not_found", loc=["node_id"])
    inbox = session.get(Inbox, (node.id, node.epoch))
    parked = session.exec(
        select(func.count()).select_from(ParkedRow).where(ParkedRow.node_id == node.id)
    ).one()
    head = changefeed.head(session.connection())
    now = clock.now()
    lag = push_lag(node, now)
    return {
        "node_id": node.id,
        "sede_id": node.sede_id,
        "name": node.name,
        "epoch": node.epoch,
        "revoked": node.revoked,
        "last_seen_at": node.last_seen_at,
        "last_push_at": node.last_push_at,
        "last_pull_at": node.last_pull_at,
        "acked_seq": inbox.hwm if inbox else 0,
        "backlog": node.reported_backlog,
        "push_lag_seconds": lag,
        "pull_cursor": node.pull_cursor,
        "pull_lag_changes": max(0, head - node.pull_cursor),
        "parked_rows": int(parked),
        "app_version": node.app_version,
        "schema_version": node.schema_version,
        "clock_offset_ms": node.clock_offset_ms,
        "disk_level": node.disk_level,
        "disk_free_mb": node.disk_free_mb,
        "disk_reported_at": node.disk_reported_at,
    }


def list_conflicts(*, session: Session, status: str | None, limit: int) -> list[SyncConflict]:
    query = select(SyncConflict).order_by(col(SyncConflict.created_at).desc()).limit(limit)
    if status:
        query = query.where(SyncConflict.status == status)
    return list(session.exec(query))


def resolve_conflict(
    *, session: Session, conflict_id: str, choice: str, by: str, clock: Clock
) -> SyncConflict:
    """Choose ``kept`` or ``other`` (field conflicts) or ``acknowledge``; flows down."""
    conflict = session.get(SyncConflict, conflict_id, with_for_update=True)
    if conflict is None:
        raise NotFound("Conflicto no encontrado.", code="conflict_not_found", loc=["conflict_id"])
    if conflict.status == "resolved":
        raise Conflict("El conflicto ya fue resuelto.", code="conflict_resolved")
    now = clock.now()
    if conflict.kind == "concurrent_field_edit":
        if choice not in ("kept", "other"):
            raise InvalidInput(
                "Elija «kept» (valor vigente) u «other» (el otro valor).",
                code="choice_invalid",
                loc=["body", "choice"],
            )
        patient = session.get(HubPatient, conflict.record_id, with_for_update=True)
        if patient is None or conflict.field is None:
            raise NotFound("Paciente no encontrado.", code="patient_not_found")
        value = conflict.kept_value if choice == "kept" else conflict.other_value
        set_field(patient, conflict.field, value, hlc=hub_hlc(clock).now().encode(), now=now)
        session.add(patient)
    elif choice != "acknowledge":
        raise InvalidInput(
            "Este conflicto solo admite «acknowledge».",
            code="choice_invalid",
            loc=["body", "choice"],
        )
    conflict.status = "resolved"
    conflict.resolution = choice
    conflict.resolved_by = by[:60]
    conflict.resolved_at = now
    session.add(conflict)
    session.flush()
    return conflict


def series_state(*, session: Session, sede_id: str) -> dict[str, int]:
    """Highest correlative per series among the sede's invoices the hub holds."""
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT payload->>'series', max((payload->>'number')::bigint) FROM sync_record "
                "WHERE record_type = 'invoice' AND sede_id = :s AND payload ? 'series' "
                "AND (payload->>'number') ~ '^[0-9]+$' GROUP BY 1"
            ),
            {"s": sede_id},
        )
        .all()
    )
    return {str(series): int(number) for series, number in rows if series}
