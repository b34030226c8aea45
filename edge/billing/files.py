"""Signed XML and CDR files as SUNAT names them (DESIGN.md section 4), written atomically.

``documents/<business date>/<RUC>-<type>-<series>-<number>.xml`` and
``documents/<business date>/R-<RUC>-<type>-<series>-<number>.zip`` under the data directory
(summaries: ``<RUC>-RC-YYYYMMDD-N.xml`` and ``R-<RUC>-RC-YYYYMMDD-N.zip``). Paths stored in
the database are relative to the data directory.

The database is the record, the files are copies: the bytes of every signed XML and CDR are in
``invoice_file``, committed (and fsynced) with the document, and a file is written only after
that commit, always by the worker: the signed XMLs of the counter's documents by the
``billing.copies`` job (:mod:`edge.billing.copies`), the CDRs and summaries it commits itself
right after its commit (:func:`write_after_commit`). A file that cannot be written then (disk
full) is logged once and written later (the ``billing.missing_files`` sweep,
:mod:`edge.billing.missing_files`, writes any still missing once there is space again).

Those copies are not fsynced one by one (two fsyncs, ~0.35 ms of CPU and ~0.6 ms of
latency each): a power cut can leave the last seconds' files empty or torn, and the
first round of the sweep in each worker process compares every file of its window with its
bytes in the database and rewrites the ones that differ. Files with no copy in the database
(:func:`ensure_file`) are written durably.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

from sqlmodel import Session

from edge.db import after_commit
from edge.diskspace import ALARM, is_disk_full

log = logging.getLogger("labred.edge.billing")

DOCUMENTS = "documents"


def xml_relpath(business_date: dt.date, stem: str) -> str:
    return f"{DOCUMENTS}/{business_date.isoformat()}/{stem}.xml"


def cdr_relpath(business_date: dt.date, stem: str) -> str:
    return f"{DOCUMENTS}/{business_date.isoformat()}/R-{stem}.zip"


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so a reader never sees half a file (temp + rename); with
    ``durable``, fsync the file before the rename and the folder after it."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except FileNotFoundError:  # the day's first file
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if not durable:
        return
    try:  # make the rename durable too
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # pragma: no cover - platforms without directory fsync
        pass


def write_after_commit(session: Session, data_dir: Path, relpath: str, data: bytes) -> None:
    """Write the file once the caller's transaction commits (never for a rolled-back number),
    after the writer lock is released, without fsync (see the module's docstring).

    The bytes are also in ``invoice_file``: a write that fails here is logged, not raised (the
    transaction is committed; see :func:`try_write`), and the file is written later."""

    def write() -> None:
        try_write(data_dir, relpath, data, durable=False)

    after_commit(session, write)


def try_write(
    data_dir: Path,
    relpath: str,
    data: bytes,
    *,
    missing_only: bool = False,
    durable: bool = True,
) -> bool:
    """:func:`write_atomic` (only when the file is missing, with ``missing_only``) that never
    raises: False, logged once per condition when the disk is full, when it failed."""
    path = data_dir / relpath
    if missing_only and path.exists():
        return True
    try:
        write_atomic(path, data, durable=durable)
    except OSError as exc:
        if is_disk_full(exc):
            ALARM.raised("documents", exc, relpath=relpath)
        else:
            log.error("document file not written: %s (%s)", relpath, exc)
        return False
    ALARM.cleared("documents")
    return True


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether the file at ``path`` holds exactly ``data`` (False when missing or unreadable)."""
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def ensure_file(data_dir: Path, relpath: str, data: bytes) -> None:
    """Rewrite a file that is missing (e.g. the process died right after the commit)."""
    path = data_dir / relpath
    if not path.exists():
        write_atomic(path, data)


__all__ = [
    "cdr_relpath",
    "ensure_file",
    "same_bytes",
    "try_write",
    "write_after_commit",
    "write_atomic",
    "xml_relpath",
]
