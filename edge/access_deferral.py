"""Patient look-ups on a full disk: answered, their access-log rows kept until there is room.

Searching or opening a patient writes an ``access_log`` row (who saw whom, when) in the read's
own unit of work. On a full disk that commit fails, and the receptionist with a queue could
not even find a patient to reprint a ticket. :func:`access_logged_read` wraps such a unit of
work: when its body has produced the answer and only the commit failed because the disk is
full, the answer goes out, and the access-log rows are kept in this process
(:data:`DEFERRED`, and each one as an INFO line of the process log, so the trace survives a
restart in the journal) and added again to the next access-logged read, which commits them
with their original time once there is space.

Only for units of work whose writes are access-log rows (a search, a patient view): any other
write would be lost. A failure inside the body, or any error other than a full disk, is
raised as before (507 ``disk_full`` / 500).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import event

from edge.audit.models import AccessLog
from edge.db import EdgeSession
from edge.diskspace import ALARM, is_disk_full

log = logging.getLogger("labred.edge.audit")

#: Rows kept at most (about 5 MB); the oldest go first, still in the process log.
MAX_DEFERRED = 10_000


class DeferredAccessLog:
    """Access-log rows a full disk refused, as column values, oldest first."""

    def __init__(self, limit: int = MAX_DEFERRED) -> None:
        self._rows: deque[dict[str, Any]] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def put(self, rows: list[dict[str, Any]], *, logged: bool) -> None:
        with self._lock:
            self._rows.extend(rows)
        if not logged:
            for row in rows:
                log.info("access log deferred (disk full)", extra={"access_log": row})

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = list(self._rows)
            self._rows.clear()
        return rows

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)


DEFERRED = DeferredAccessLog()


@contextmanager
def access_logged_read(uow: AbstractContextManager[EdgeSession]) -> Iterator[EdgeSession]:
    """``uow`` for a read that writes only access-log rows: on a full disk the answer still
    goes out and the rows are deferred (see the module's docstring)."""
    carried = DEFERRED.take()
    added: list[AccessLog] = []
    answered = False

    def collect(_session: Any, instance: object) -> None:
        if isinstance(instance, AccessLog) and instance not in added:
            added.append(instance)

    try:
        with uow as session:
            for values in carried:
                session.add(AccessLog(**values))
            event.listen(session, "transient_to_pending", collect)
            yield session
            answered = True
    except Exception as exc:
        DEFERRED.put(carried, logged=True)
        if not (answered and is_disk_full(exc)):
            raise
        DEFERRED.put([row.model_dump() for row in added], logged=False)
        ALARM.raised("access_log", exc)
        return
    if carried or added:
        ALARM.cleared("access_log")


__all__ = ["DEFERRED", "MAX_DEFERRED", "DeferredAccessLog", "access_logged_read"]
