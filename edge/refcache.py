"""Reference rows every sale reads, kept in memory across transactions while they are unchanged.

A sale reads the same few reference rows each time — the sede, the company, the services it
sells, its convenio, the laboratory system and its code maps — and loading each through the
ORM costs more than everything the sale computes from them. They change a few times a day (a
pull from the hub, an admin's edit), so this module keeps them per process and re-reads them
only when they changed.

"Changed" is decided by the database, not by the code that writes: triggers on every cached
table (edge migration 0008, :data:`CACHED_TABLES`) give ``ref_generation.token`` a new random
value on any insert, update or delete — ORM, Core or raw SQL, from any process (the API
processes, the worker, ``labred`` commands). Each lookup reads the token in the caller's own
transaction (one driver statement, ~10 µs) and uses an entry only if it was loaded under that
same token, so it sees exactly what a query would see. The token is random rather than a
counter so that a database restored from a backup, or a copy of another node's, can never
present a token whose entries came from other contents.

What the session itself holds wins: an instance already in its identity map is returned as it
is (as ``session.get`` does), and while the session has unflushed changes to a cached model
the lookups bypass the cache (the triggers have not seen those changes yet).

ORM instances are kept detached and handed out as copies attached to the caller's session
(``session.merge(load=False)``, no query; their JSON lists and dicts copied too): the caller
may read or change its copy like any loaded instance. Derived values kept with :func:`memo`
must be immutable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

T = TypeVar("T")
M = TypeVar("M")

CACHED_TABLES = (
    "company",
    "sede",
    "setting",
    "catalog_service",
    "convenio",
    "lab_system",
    "lab_code_map",
)
"""Tables whose every change renews the token (the triggers of migration 0008)."""

metadata = MetaData()

ref_generation = Table(
    "ref_generation",
    metadata,
    Column("id", Integer, CheckConstraint("id = 1"), primary_key=True, autoincrement=False),
    Column("token", String(32), nullable=False),
)

_TOKEN_SQL = "SELECT token FROM ref_generation WHERE id = 1"
_MAX_ENTRIES = 4096
_MISSING = object()
_TOKEN_SEEN = "refcache.token"  # (transaction, total_changes, token) of the last read
_entries: dict[tuple[Any, ...], Any] = {}


def token(session: Session) -> str | None:
    """The reference token in ``session``'s transaction (None: a schema without the table).

    Read once per transaction and again only after this connection changed a row (SQLite's
    ``total_changes``, a counter of the driver connection: no statement): nothing else can
    change what this transaction sees."""
    conn = session.connection()
    changes = conn.connection.driver_connection.total_changes  # type: ignore[union-attr]
    transaction = session.get_transaction()
    seen = session.info.get(_TOKEN_SEEN)
    if seen is not None and seen[0] is transaction and seen[1] == changes:
        return seen[2]  # type: ignore[no-any-return]
    row = conn.exec_driver_sql(_TOKEN_SQL).first()
    current = str(row[0]) if row is not None else None
    session.info[_TOKEN_SEEN] = (transaction, changes, current)
    return current


def _pending(session: Session, models: tuple[type, ...]) -> bool:
    """Whether ``session`` holds unflushed changes to instances of ``models``."""
    return any(
        isinstance(obj, models) for obj in chain(session.new, session.dirty, session.deleted)
    )


def _store(key: tuple[Any, ...], value: Any) -> None:
    if len(_entries) >= _MAX_ENTRIES:  # several databases in one process (tests): start over
        _entries.clear()
    _entries[key] = value


def _key(session: Session, models: tuple[type, ...], key: tuple[Any, ...]) -> tuple[Any, ...]:
    """The entry key under the current token; ``()`` when the cache must not be used."""
    if _pending(session, models):
        return ()
    current = token(session)
    return () if current is None else (current, *key)


def memo(
    session: Session, key: tuple[Any, ...], load: Callable[[], T], *, models: tuple[type, ...]
) -> T:
    """``load()`` (an immutable value derived from rows of ``models``), kept under ``key``."""
    full = _key(session, models, ("memo", *key))
    if not full:
        return load()
    value = _entries.get(full, _MISSING)
    if value is _MISSING:
        value = load()
        _store(full, value)
    return value  # type: ignore[no-any-return]


def _attached(session: Session, obj: M) -> M:
    """A copy of the kept ``obj`` in ``session``, with its own JSON values (a list or dict
    changed in place on the copy must not change the kept one)."""
    copy = session.merge(obj, load=False)
    for key, value in vars(copy).items():
        if isinstance(value, dict | list):
            set_committed_value(copy, key, deepcopy(value))
    return copy


def _detached(session: Session, obj: Any) -> Any:
    if obj is not None:
        session.expunge(obj)
    return obj


def get(session: Session, model: type[M], pk: Any) -> M | None:
    """``session.get(model, pk)`` without the query when the row is known and unchanged."""
    present = session.identity_map.get(identity_key(model, pk))
    if present is not None:
        return present  # type: ignore[no-any-return]
    full = _key(session, (model,), ("get", model, pk))
    if not full:
        return session.get(model, pk)
    cached = _entries.get(full, _MISSING)
    if cached is _MISSING:
        cached = _detached(session, session.get(model, pk))
        _store(full, cached)
    return None if cached is None else _attached(session, cached)


def get_many(
    session: Session,
    model: type[M],
    pks: Iterable[Any],
    load: Callable[[list[Any]], dict[Any, M]],
) -> dict[Any, M]:
    """``pk -> instance`` of those of ``pks`` that exist; ``load(missing_pks)`` reads the ones
    not known under the current token (one query for all of them)."""
    wanted = list(dict.fromkeys(pks))
    full = _key(session, (model,), ("get", model))
    if not full:
        return load(wanted)
    found: dict[Any, M] = {}
    missing: list[Any] = []
    for pk in wanted:
        present = session.identity_map.get(identity_key(model, pk))
        cached = present if present is not None else _entries.get((*full, pk), _MISSING)
        if cached is _MISSING:
            missing.append(pk)
        elif cached is not None:
            found[pk] = cached if present is not None else _attached(session, cached)
    if missing:
        loaded = load(missing)
        for pk in missing:
            obj = loaded.get(pk)
            _store((*full, pk), _detached(session, obj))
            if obj is not None:
                found[pk] = _attached(session, obj)
    return {pk: found[pk] for pk in wanted if pk in found}


__all__ = ["CACHED_TABLES", "get", "get_many", "memo", "ref_generation", "token"]
