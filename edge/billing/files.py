"""Signed XML and CDR files as SUNAT names them (DESIGN.md section 4), written atomically.

``documents/<business date>/<RUC>-<type>-<series>-<number>.xml`` and
``documents/<business date>/R-<RUC>-<type>-<series>-<number>.zip`` under the data directory
(summaries: ``<RUC>-RC-YYYYMMDD-N.xml`` and ``R-<RUC>-RC-YYYYMMDD-N.zip``). Paths stored in
the database are relative to the data directory.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from sqlmodel import Session

from edge.db import after_commit

DOCUMENTS = "documents"


def xml_relpath(business_date: dt.date, stem: str) -> str:
    return f"{DOCUMENTS}/{business_date.isoformat()}/{stem}.xml"


def cdr_relpath(business_date: dt.date, stem: str) -> str:
    return f"{DOCUMENTS}/{business_date.isoformat()}/R-{stem}.zip"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader never sees half a file (temp + fsync + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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
    after the writer lock is released (the next sale does not wait for these fsyncs).

    The bytes are also in ``invoice_file``; :func:`ensure_file` rewrites a missing file."""
    after_commit(session, lambda: write_atomic(data_dir / relpath, data))


def ensure_file(data_dir: Path, relpath: str, data: bytes) -> None:
    """Rewrite a file that is missing (e.g. the process died right after the commit)."""
    path = data_dir / relpath
    if not path.exists():
        write_atomic(path, data)


__all__ = ["cdr_relpath", "ensure_file", "write_after_commit", "write_atomic", "xml_relpath"]
