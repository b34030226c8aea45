"""Series and correlatives: which series a sede uses, and the next number, gapless.

The number is taken inside the caller's unit of work (``BEGIN IMMEDIATE``, single writer):
the counter row and the document commit together, so a rolled-back sale leaves no gap and a
committed number is never handed out again. Each sede owns its own series (from the hub's
configuration, or ``labred edge init`` until then), so two sedes never share a counter.

After an enrolment or a restore (epoch bump) the local counters may be behind what SUNAT and the
hub already hold. The sync engine then learns, per series, the hub's last correlative into
``sync_series_fence`` (:func:`edge.sync.enroll.learn_series`) and the numbering never issues at
or below it. Until that fence is learned (``sync_status.fence_pending``: the hub was not
reachable) the node issues facturas and boletas from its *contingency* series (sede series keys
``contingency01`` / ``contingency03``: ordinary electronic series reserved to this sede, e.g.
F901 / B901, valid under SUNAT's series rules) and refuses notes, which have none, rather than
risk a number the hub already holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from domain.clock import Clock
from domain.errors import RuleViolation, Unavailable
from domain.sunat import DocumentType
from domain.sunat.rules import MAX_CORRELATIVE
from edge import counters
from edge.billing.models import Invoice, SeriesCounter
from edge.config.models import Sede
from edge.sync.models import SeriesFence, SyncStatus
from sync.sqltypes import UTCDateTime

#: Document types that have a contingency series (sede series key ``contingency<type>``).
CONTINGENCY_TYPES = (DocumentType.FACTURA, DocumentType.BOLETA)


def fence_pending(session: Session) -> bool:
    """True while the node has not learned its series from the hub after enrolment / restore."""
    status = SyncStatus.__table__.c  # type: ignore[attr-defined]
    row = (
        session.connection()
        .execute(sa_select(status.fence_pending, status.use_contingency).where(status.id == 1))
        .first()
    )
    return bool(row is not None and (row[0] or row[1]))


def series_key(doc_type: DocumentType, reference_letter: str | None = None) -> str:
    if doc_type in (DocumentType.NOTA_CREDITO, DocumentType.NOTA_DEBITO):
        if reference_letter not in ("F", "B"):
            raise RuleViolation(
                "La nota debe referirse a una factura (F) o boleta (B).",
                code="note_reference_type_invalid",
                loc=["reference"],
            )
        return f"{doc_type.value}{reference_letter}"
    return doc_type.value


def series_for(
    sede: Sede,
    doc_type: DocumentType,
    *,
    reference_letter: str | None = None,
    contingency: bool = False,
) -> str:
    """The sede's series for a document type; notes take the letter of the original (F / B).
    With ``contingency`` the sede's contingency series (facturas and boletas only)."""
    key = series_key(doc_type, reference_letter)
    if contingency:
        if doc_type not in CONTINGENCY_TYPES:
            raise Unavailable(
                "El nodo aún no conoce la numeración del hub tras la restauración y las notas"
                " no tienen serie de contingencia: reintente cuando haya conexión con el hub.",
                code="series_fence_pending",
                loc=["series"],
            )
        key = f"contingency{key}"
    series = (sede.series or {}).get(key)
    if not series:
        raise RuleViolation(
            f"La sede {sede.code} no tiene serie asignada para {doc_type.label.lower()}"
            f" ({key}). Configúrela en el hub.",
            code="series_not_configured",
            loc=["series"],
        )
    return str(series)


@dataclass(frozen=True)
class SeriesPlan:
    """The series to issue from now, and the hub's last known number in it (0: none)."""

    series: str
    fence: int
    contingency: bool
    last: int = 0  # the local counter (a provisional number for the rules; 0: none yet)


_PLAN_SQL = text(
    "SELECT (SELECT fence_pending OR use_contingency FROM sync_status WHERE id = 1), "
    "(SELECT last_number FROM sync_series_fence WHERE series = :regular), "
    "(SELECT last_number FROM sync_series_fence WHERE series = :spare), "
    "(SELECT last_number FROM series_counter WHERE series = :regular), "
    "(SELECT last_number FROM series_counter WHERE series = :spare)"
)


def plan(
    session: Session, sede: Sede, doc_type: DocumentType, *, reference_letter: str | None = None
) -> SeriesPlan:
    """The regular series, or the contingency one while the fence is pending (see the module
    docstring), with its fence: one small query (the sale path stays cheap)."""
    key = series_key(doc_type, reference_letter)
    configured = sede.series or {}
    spare = configured.get(f"contingency{key}") if doc_type in CONTINGENCY_TYPES else None
    session.flush()  # the counters are read with a plain statement
    pending, regular_fence, spare_fence, regular_last, spare_last = (
        session.connection()
        .execute(_PLAN_SQL, {"regular": configured.get(key) or "", "spare": spare or ""})
        .one()
    )
    contingency = bool(pending)
    series = series_for(sede, doc_type, reference_letter=reference_letter, contingency=contingency)
    fence = spare_fence if contingency else regular_fence
    last = spare_last if contingency else regular_last
    return SeriesPlan(
        series=series, fence=int(fence or 0), contingency=contingency, last=int(last or 0)
    )


def series_to_use(
    session: Session, sede: Sede, doc_type: DocumentType, *, reference_letter: str | None = None
) -> str:
    return plan(session, sede, doc_type, reference_letter=reference_letter).series


def fence_of(session: Session, series: str) -> int:
    fence = SeriesFence.__table__.c  # type: ignore[attr-defined]
    learned = (
        session.connection()
        .execute(sa_select(fence.last_number).where(fence.series == series))
        .scalar()
    )
    return int(learned or 0)


def floor_for(session: Session, series: str, *, fence: int | None = None) -> int:
    """The highest correlative known to be used in ``series``: the local counter (or, without
    one, the rows of this database) and the hub's fence; the next number is always above it.

    Rows a restore takes back from the hub do not bump the counter, but the hub holds them,
    so the fence learned at that re-enrolment is at least their number."""
    return _floor(session, series, session.get(SeriesCounter, series), fence)


def _floor(session: Session, series: str, counter: SeriesCounter | None, fence: int | None) -> int:
    if counter is not None:
        local = counter.last_number  # bumped with every document of the series
    else:  # first use, or a counter lost: continue after what the table holds
        highest = session.exec(
            select(func.max(Invoice.number)).where(Invoice.series == series)
        ).one()
        local = int(highest or 0)
    return max(local, fence_of(session, series) if fence is None else fence)


_STAMP = UTCDateTime()
_BUMP_SQL = (
    "UPDATE series_counter SET last_number = max(last_number, ?) + 1, updated_at = ?"
    " WHERE series = ? AND max(last_number, ?) < ? RETURNING last_number"
)


def take_number(
    session: Session,
    *,
    sede_id: str,
    doc_type: str,
    series: str,
    clock: Clock,
    fence: int | None = None,
) -> int:
    """Bump and return the series' correlative inside the caller's transaction (never at or
    below the hub's fence — pass ``fence`` from :func:`plan` to skip the lookup — and never a
    number this database already holds)."""
    if fence is not None:
        stamp = _STAMP.process_bind_param(clock.now(), session.connection().dialect)
        bumped = counters.bump(
            session,
            SeriesCounter,
            (series,),
            _BUMP_SQL,
            (fence, stamp, series, fence, MAX_CORRELATIVE),
        )
        if bumped is not None:
            return bumped
    counter = session.get(SeriesCounter, series)
    floor = _floor(session, series, counter, fence)
    if counter is None:
        counter = SeriesCounter(
            series=series, sede_id=sede_id, doc_type=doc_type, last_number=0, updated_at=clock.now()
        )
    if floor >= MAX_CORRELATIVE:
        raise RuleViolation(
            f"La serie {series} llegó a su último correlativo; pida una serie nueva al hub.",
            code="series_exhausted",
            loc=["series"],
        )
    counter.last_number = floor + 1
    counter.updated_at = clock.now()
    session.add(counter)
    return counter.last_number


def last_number(session: Session, series: str) -> int:
    """The local counter (cheap; only a provisional number for the rules, the real one comes
    from :func:`take_number`)."""
    counter = session.get(SeriesCounter, series)
    return counter.last_number if counter is not None else 0


__all__ = [
    "SeriesPlan",
    "fence_of",
    "fence_pending",
    "floor_for",
    "last_number",
    "plan",
    "series_for",
    "series_key",
    "series_to_use",
    "take_number",
]
