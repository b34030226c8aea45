"""A full disk on a sede's PC: recognising it, answering it, and watching the free space.

When the data directory's disk fills up, SQLite answers ``database or disk is full``
(``SQLITE_FULL``) or ``disk I/O error`` (``SQLITE_IOERR``) and writing a file fails with
``ENOSPC``. The unit of work rolls the transaction back, so no half record is kept; this module
makes the rest of the node behave:

- :func:`install` maps such an error raised by any route to **507 ``disk_full``** with a
  Spanish message naming what was not saved ("no se guardó la venta"), never a 500; a
  ``disk I/O error`` while the disk is not full is 503 ``disk_io_error``. Logged once a minute
  per process, not once per request. :func:`document` adds the 507 to every write operation
  of ``/openapi.json``.
- :class:`DiskAlarm` logs a condition once when it starts and once when it ends (the worker's
  jobs, the files written after a commit), so a full disk is not a log line every 2 s.
- :func:`measure` reads the free space (``statvfs``) against two thresholds of the settings
  (``disk_low_mb``: ``bajo``, ``disk_full_mb``: ``lleno``); ``/health`` and the reception
  header show it, the worker's ``disk.check`` job logs changes of level.

Nothing here holds state that survives a restart: once space is freed every write works again,
and the worker's jobs retry what they had queued at their next round.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError

from domain.errors import Unavailable
from edge.settings import EdgeSettings
from sync import webapp

log = logging.getLogger("labred.edge.disk")

Level = Literal["ok", "bajo", "lleno"]

#: errno values that mean "no space" (a quota counts as a full disk for this process).
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
_SQLITE_FULL_TEXT = "database or disk is full"
_SQLITE_IOERR_TEXT = "disk i/o error"


class DiskFull(Unavailable):
    """The node's disk is full: nothing was saved (507 ``disk_full``)."""

    status = 507
    default_code = "disk_full"


class DiskError(Unavailable):
    """SQLite reported an I/O error while the disk still has space (503 ``disk_io_error``)."""

    default_code = "disk_io_error"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, the DB-API error SQLAlchemy wrapped and every cause / context, once each."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        if isinstance(cur, DBAPIError) and isinstance(cur.orig, BaseException):
            todo.append(cur.orig)
        todo.extend([cur.__cause__, cur.__context__])


def _sqlite_primary(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def disk_error_kind(exc: BaseException) -> Literal["full", "io"] | None:
    """``"full"`` when ``exc`` (or what it wraps) says the disk is full: ``SQLITE_FULL`` or
    ``OSError`` ENOSPC / EDQUOT; ``"io"`` for SQLite's ``disk I/O error``; None otherwise."""
    kind: Literal["full", "io"] | None = None
    for cur in _chain(exc):
        if isinstance(cur, OSError) and cur.errno in _NO_SPACE:
            return "full"
        if isinstance(cur, sqlite3.Error):
            primary, text = _sqlite_primary(cur), str(cur).lower()
            if primary == sqlite3.SQLITE_FULL or _SQLITE_FULL_TEXT in text:
                return "full"
            if primary == sqlite3.SQLITE_IOERR or _SQLITE_IOERR_TEXT in text:
                kind = "io"
    return kind


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` means the disk is full (see :func:`disk_error_kind`)."""
    return disk_error_kind(exc) == "full"


# ------------------------------------------------------------------------------ free space
@dataclass(frozen=True)
class DiskSpace:
    """Free space of the disk holding ``path`` and its level against the thresholds."""

    free_bytes: int
    total_bytes: int
    level: Level

    @property
    def free_mb(self) -> int:
        return self.free_bytes // (1024 * 1024)


def measure(path: Path, *, low_mb: int, full_mb: int) -> DiskSpace:
    """``statvfs`` of ``path`` (space available to this user): ``lleno`` below ``full_mb``,
    ``bajo`` below ``low_mb``, else ``ok``. An unreadable path counts as ``lleno``."""
    try:
        st = os.statvfs(path)
    except OSError:
        return DiskSpace(free_bytes=0, total_bytes=0, level="lleno")
    free, total = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
    mb = 1024 * 1024
    level: Level = "lleno" if free < full_mb * mb else "bajo" if free < low_mb * mb else "ok"
    return DiskSpace(free_bytes=free, total_bytes=total, level=level)


def measure_settings(settings: EdgeSettings) -> DiskSpace:
    """:func:`measure` of an ``EdgeSettings``' data directory with its thresholds."""
    return measure(settings.data_dir, low_mb=settings.disk_low_mb, full_mb=settings.disk_full_mb)


# ------------------------------------------------------------------------------ logging once
class DiskAlarm:
    """Conditions logged once when they start (WARNING) and once when they end (INFO).

    ``raised(key, exc)`` for each failure and ``cleared(key)`` for each success of the same
    thing (a worker job, the files written after commits): a disk full for an hour is two log
    lines per key, not one per round."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self._log = logger
        self._active: set[str] = set()
        self._lock = threading.Lock()

    def raised(self, key: str, exc: BaseException, **extra: Any) -> bool:
        """Note a disk-full failure of ``key``; True when this one was logged (the first)."""
        with self._lock:
            first = key not in self._active
            self._active.add(key)
        if first:
            self._log.warning(
                "disco lleno: %s no pudo escribir; se reintentará cuando haya espacio (%s)",
                key,
                exc,
                extra={"disk_condition": "full", "key": key, **extra},
            )
        return first

    def cleared(self, key: str) -> bool:
        """Note a success of ``key``; True when it ends a logged condition."""
        with self._lock:
            if key not in self._active:
                return False
            self._active.discard(key)
        self._log.info(
            "espacio en disco recuperado: %s vuelve a escribir",
            key,
            extra={"disk_condition": "recovered", "key": key},
        )
        return True

    def active(self) -> set[str]:
        with self._lock:
            return set(self._active)


ALARM = DiskAlarm()


class LevelWatch:
    """Logs the disk's level when it changes (the worker's ``disk.check`` job)."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self._log = logger
        self.level: Level = "ok"

    def update(self, space: DiskSpace) -> bool:
        """Record ``space``; True (and one log line) when its level differs from the last."""
        if space.level == self.level:
            return False
        self.level = space.level
        extra = {"disk_level": space.level, "free_mb": space.free_mb}
        if space.level == "ok":
            self._log.info("espacio en disco normal: %d MB libres", space.free_mb, extra=extra)
        else:
            self._log.warning(
                "espacio en disco %s: %d MB libres en el directorio de datos",
                space.level,
                space.free_mb,
                extra=extra,
            )
        return True


# ------------------------------------------------------------------------------ HTTP answers
#: What a write route saves, for the message ("no se guardó la venta"); first match wins.
_WHAT: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(pattern))
    for what, pattern in (
        ("el pago", r"^/api/orders/[^/]+/payments"),
        ("la anulación", r"^/api/orders/[^/]+/cancel"),
        ("el descuento", r"^/api/(orders/[^/]+/discount|discount-requests)"),
        ("la venta", r"^/api/orders"),
        ("el paciente", r"^/api/patients"),
        ("el cierre del día", r"^/api/cash/day"),
        ("el cierre de caja", r"^/api/cash/sessions/[^/]+/close"),
        ("el arqueo", r"^/api/cash/sessions/[^/]+/count"),
        ("el movimiento de caja", r"^/api/cash/sessions/[^/]+/(movements|adjustments)"),
        ("la apertura de caja", r"^/api/cash/sessions$"),
        ("el comprobante", r"^/api/(billing|convenios)"),
        ("la muestra", r"^/api/samples"),
        ("el envío al laboratorio", r"^/api/lab-sync"),
        ("el inicio de sesión", r"^/api/auth"),
    )
)
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def disk_full_message(method: str, path: str) -> str:
    """The Spanish answer to a request refused because the disk is full."""
    if method.upper() in _READ_METHODS:
        done = "no se pudo completar la consulta"
    else:
        what = next((w for w, pattern in _WHAT if pattern.match(path)), "la operación")
        done = f"no se guardó {what}"
    return f"El disco del equipo de la sede está lleno: {done}. Avise al técnico."


def disk_io_message(method: str, path: str) -> str:
    base = disk_full_message(method, path).split(": ", 1)[1]
    return f"Error de lectura o escritura en el disco del equipo de la sede: {base}"


class _Throttle:
    """At most one log line per ``seconds`` (per process)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = -float("inf")
        self._lock = threading.Lock()

    def ready(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.seconds:
                return False
            self._last = now
            return True


_API_LOG = _Throttle(60.0)


def error_for(request: Request, exc: BaseException) -> Unavailable | None:
    """The answer for ``exc`` raised by a route when it is a disk error, else None."""
    kind = disk_error_kind(exc)
    if kind is None:
        return None
    method, path = request.method, request.url.path
    if kind == "io":
        rt = getattr(request.app.state, "runtime", None)
        space = measure_settings(rt.settings) if rt is not None else None
        if space is None or space.level != "lleno":
            return DiskError(disk_io_message(method, path))
    return DiskFull(disk_full_message(method, path))


def _handler(request: Request, exc: Exception) -> Response:
    err = error_for(request, exc)
    if err is None:  # not a disk error: on to the app's 500 answer, as before
        raise exc
    if _API_LOG.ready():
        log.warning(
            "request refused, disk error: %s",
            exc,
            extra={"path": request.url.path, "code": err.code},
        )
    return JSONResponse({"detail": err.detail()}, status_code=err.status)


def install(app: FastAPI) -> None:
    """Answer disk errors of ``app``'s routes as 507 ``disk_full`` / 503 ``disk_io_error``
    (any other error of these types is raised on, to the app's 500 answer)."""
    for exc_type in (DBAPIError, sqlite3.Error, OSError):
        app.add_exception_handler(exc_type, _handler)


_DOC_EXAMPLE = webapp.error_body(
    "disk_full",
    "El disco del equipo de la sede está lleno: no se guardó la venta. Avise al técnico.",
)
_WRITE_METHODS = ("post", "put", "patch", "delete")


def document(app: FastAPI) -> None:
    """The 507 ``disk_full`` answer in ``/openapi.json`` on every write operation."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        doc = build()
        schemas = doc.get("components", {}).get("schemas", {})
        schema: dict[str, Any] = (
            {"$ref": "#/components/schemas/ErrorBody"}
            if "ErrorBody" in schemas
            else {"type": "object"}
        )
        for item in doc.get("paths", {}).values():
            for method, operation in item.items():
                if method in _WRITE_METHODS and isinstance(operation, dict):
                    operation.setdefault("responses", {}).setdefault(
                        "507",
                        {
                            "description": "El disco del equipo está lleno: no se guardó nada "
                            "(disk_full); reintente cuando el técnico libere espacio",
                            "content": {
                                "application/json": {"schema": schema, "example": _DOC_EXAMPLE}
                            },
                        },
                    )
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = [
    "ALARM",
    "DiskAlarm",
    "DiskError",
    "DiskFull",
    "DiskSpace",
    "LevelWatch",
    "disk_error_kind",
    "disk_full_message",
    "document",
    "error_for",
    "install",
    "is_disk_full",
    "measure",
    "measure_settings",
]
