"""Patient search over the FTS5 index of migrations 0002/0003, ranked and paginated.

A query is matched, in this order of rank:

1. ``document``: the document number equals the query (blanks, dots and dashes ignored);
2. ``document_prefix``: the document number starts with it (in document order);
3. ``name_prefix``: the surnames start with the query's first word, and its other words
   start some word of the name ("quispe ma" finds "QUISPE MAMANI, ROSA");
4. ``name``: every word of the query starts some word of the name, anywhere.

Name matching is accent- and case-insensitive (unicode61, ``remove_diacritics 2``: "nunez"
finds "NÚÑEZ"). Apostrophes are dropped on both sides ("oconnor", "o'connor" and "O’CONNOR"
find "O'CONNOR"; "connor" too), hyphens separate words and a hyphenated name is also indexed
joined ("garcia perez" and "garciaperez" find "GARCIA-PEREZ"), see migration 0003.
Within a name tier the most recently registered (or renamed) patient comes first: FTS5
walks its doclists in descending rowid order and stops at the page, so a page costs the same
over 1,000 or 1,000,000 patients. Each tier is fetched only up to ``offset + limit + 1``
rows; ``has_more`` says whether another page exists (no total: counting every "MARÍA" would
cost more than the page).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, TextClause, text
from sqlmodel import Session, col, select

from domain.errors import InvalidInput
from edge.db import EdgeSession, writer_lock
from edge.patients.models import Patient

# Tables created by the hand-written migration 0002 (no ORM model; the schema test skips them).
SEARCH_TABLES = frozenset(
    {
        "patient_search",
        "patient_fts",
        "patient_fts_data",
        "patient_fts_idx",
        "patient_fts_docsize",
        "patient_fts_config",
        "patient_fts_content",
    }
)

# The indexed text of a patient, as migration 0003's triggers build it: a marker token
# (U+E000 + the first word of the surnames, apostrophes and hyphens removed), then
# "APELLIDOS NOMBRES" without apostrophes, then the same with hyphens removed (when it has
# any) and split at the apostrophes (when it had any). Must equal 0003's ``key_sql()``.
HEAD_MARKER = "\ue000"
APOSTROPHES = ("'", "\u2019", "\u2018", "`", "\u00b4", "\u02bc")


def _each_apostrophe(expr: str, by: str) -> str:
    for mark in APOSTROPHES:
        expr = f"replace({expr}, '{mark.replace(chr(39), chr(39) * 2)}', '{by}')"
    return expr


def _key_sql() -> str:
    raw = "last_names || ' ' || first_names"
    last = _each_apostrophe("last_names", "")
    name = _each_apostrophe(f"({raw})", "")
    head = f"substr({last}, 1, instr({last} || ' ', ' ') - 1)"
    return (
        f"char(57344) || replace({head}, '-', '') || ' ' || {name}"
        f" || CASE WHEN instr({name}, '-') > 0 THEN ' ' || replace({name}, '-', '') ELSE '' END"
        f" || CASE WHEN {name} <> ({raw}) THEN ' ' || {_each_apostrophe(f'({raw})', ' ')}"
        " ELSE '' END"
    )


SEARCH_KEY_SQL = _key_sql()
_APOSTROPHE_RE = re.compile("[" + "".join(APOSTROPHES) + "]")

MAX_QUERY_LENGTH = 100
MAX_TOKENS = 8
_WORD = re.compile(r"[^\W_]+")
_DOC_SEPARATORS = re.compile(r"[\s.\-]+")
_DOC_LIKE = re.compile(r"[0-9A-Z]{1,15}")

_EXACT_DOC = text(
    "SELECT id FROM patient WHERE doc_number = :doc AND canonical_id IS NULL "
    "ORDER BY doc_type, id LIMIT :n"
)
_PREFIX_DOC = text(
    "SELECT id FROM patient WHERE doc_number > :doc AND doc_number < :hi "
    "AND canonical_id IS NULL ORDER BY doc_number, id LIMIT :n"
)
_NAMES = text(
    "SELECT s.patient_id FROM ("
    " SELECT rowid AS k FROM patient_fts WHERE patient_fts MATCH :m"
    " ORDER BY rowid DESC LIMIT :n"
    ") AS f JOIN patient_search AS s ON s.k = f.k ORDER BY f.k DESC"
)


@dataclass(frozen=True)
class SearchHit:
    patient: Patient
    match: str  # document | document_prefix | name_prefix | name


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    has_more: bool


@dataclass(frozen=True)
class ParsedQuery:
    document: str | None  # compact uppercase document number, when the query looks like one
    words: list[str]  # name words (at least one letter each)


def parse_query(q: str) -> ParsedQuery:
    """Split a search box entry into a document candidate and name words."""
    q = unicodedata.normalize("NFC", q).strip()
    if not q:
        raise InvalidInput(
            "Escriba un documento o un nombre para buscar.", code="search_query_empty", loc=["q"]
        )
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            f"La búsqueda admite hasta {MAX_QUERY_LENGTH} caracteres.",
            code="search_query_too_long",
            loc=["q"],
        )
    compact = _DOC_SEPARATORS.sub("", q).upper()
    document = (
        compact if _DOC_LIKE.fullmatch(compact) and any(c.isdigit() for c in compact) else None
    )
    folded = _APOSTROPHE_RE.sub("", q)  # "O'Connor" -> "OConnor", as the index has it
    words = [w.lower() for w in _WORD.findall(folded) if any(c.isalpha() for c in w)]
    words = words[:MAX_TOKENS]
    if document is None and not words:
        raise InvalidInput(
            "La búsqueda debe tener letras (nombre) o dígitos (documento).",
            code="search_query_invalid",
            loc=["q"],
        )
    return ParsedQuery(document=document, words=words)


def fts_queries(words: list[str]) -> tuple[str, str]:
    """FTS5 MATCH expressions of the ``name_prefix`` and ``name`` tiers for ``words``.

    ``name_prefix``: the surnames' first word starts with the first query word (the marker
    term, a sparse lookup) and the other words start some word of the name.
    ``name``: every word starts some word of the name, and it is not a ``name_prefix`` hit.
    Words are ``[^\\W_]+``, so nothing needs escaping inside the quotes.
    """
    head = f'"{HEAD_MARKER}{words[0]}" *'
    rest = " ".join(f'"{w}" *' for w in words[1:])
    anywhere = " ".join(f'"{w}" *' for w in words)
    return f"{head} {rest}".strip(), f"({anywhere}) NOT ({head})"


def search(*, session: Session, q: str, limit: int, offset: int) -> SearchPage:
    """One page of patients matching ``q``, best matches first (see the module docstring)."""
    parsed = parse_query(q)
    need = offset + limit + 1
    ranked: list[tuple[str, str]] = []
    seen: set[str] = set()

    def take(ids: list[str], match: str) -> bool:
        for pid in ids:
            if pid not in seen:
                seen.add(pid)
                ranked.append((pid, match))
        return len(ranked) >= need

    def ids(statement: TextClause, **params: object) -> list[str]:
        return [str(r[0]) for r in session.execute(statement, {"n": need, **params})]

    done = False
    if parsed.document is not None:
        doc = parsed.document
        done = take(ids(_EXACT_DOC, doc=doc), "document") or take(
            ids(_PREFIX_DOC, doc=doc, hi=doc + "~"), "document_prefix"
        )
    if not done and parsed.words:
        prefix, anywhere = fts_queries(parsed.words)
        if not take(ids(_NAMES, m=prefix), "name_prefix"):
            take(ids(_NAMES, m=anywhere), "name")

    page = ranked[offset : offset + limit]
    patients = {
        p.id: p
        for p in session.exec(select(Patient).where(col(Patient.id).in_([pid for pid, _ in page])))
    }
    hits = [SearchHit(patients[pid], match) for pid, match in page if pid in patients]
    return SearchPage(hits=hits, has_more=len(ranked) > offset + limit)


def rebuild_index(*, session: Session) -> int:
    """Re-index every non-merged patient from scratch (repair tool); returns how many."""
    session.execute(text("DELETE FROM patient_search"))
    session.execute(
        text(
            f"INSERT INTO patient_search(patient_id, name) SELECT id, {SEARCH_KEY_SQL} "
            "FROM patient WHERE canonical_id IS NULL ORDER BY created_at, id"
        )
    )
    # Whatever the index held, rebuild it from its content table.
    session.execute(text("INSERT INTO patient_fts(patient_fts) VALUES ('rebuild')"))
    count = session.execute(text("SELECT count(*) FROM patient_search")).scalar_one()
    return int(count)


@contextmanager
def search_log_unit_of_work(engine: Engine) -> Iterator[EdgeSession]:
    """The unit of work of one search and its access-log row, committed without an fsync.

    Like ``edge.db.unit_of_work`` (the node's writer lock, ``BEGIN IMMEDIATE``, outbox rows
    captured, one commit) but with ``synchronous=NORMAL`` for this one commit: in WAL mode
    the row survives a crash of the process, and the next normal (FULL) commit of any sale
    or the next checkpoint makes it durable against power loss too. An fsync per search
    would cost more than the search itself (p95 budget 20 ms); the setting is restored
    before the connection goes back to the pool, so no other write is ever relaxed.
    """
    with writer_lock(engine), engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA synchronous=NORMAL")
        try:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with EdgeSession(bind=conn, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            raw.execute("PRAGMA synchronous=FULL")
