"""The signed XML of each document issued at the counter, written as a file by the worker.

A sale (or a note) commits its signed XML in ``invoice_file`` with the document; nothing else
the counter needs is a file (the ticket and the PDF are built from the database). Writing the
copy under ``documents/<business date>/`` is archival work, so it follows the pattern of every
other side effect of a sale (SUNAT, the laboratory, the hub): the API process commits, the
worker does the rest. The ``billing.copies`` job, every second, writes the files of the
``invoice_file`` rows committed since its last round; the counter's request never waits for a
new file (on this kind of machine creating one costs 20 us to 0.8 ms of CPU, depending on the
files deleted in the minutes before) and never sees the disk's metadata work.

New rows are found by ``rowid``: SQLite gives each inserted row one above the largest, so the
largest ``rowid`` written so far marks where the next round starts (kept in memory; the table
is never vacuumed, and no row is deleted). The first round of a process starts ``_CHUNK`` rows
back (files already there are left alone): older rows are the ``billing.missing_files`` job's,
whose first round verifies every file of its window against the database and whose later
rounds write any file still missing.

Copies are written without fsync, as before (:mod:`edge.billing.files`); a full disk stops a
round at the first refusal (logged once) and the next round starts again from that row.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from edge.billing import files
from edge.db import read_session
from edge.runtime import EdgeRuntime
from edge.worker import job

#: Rows read per query; a round reads on until it has every row committed before it began.
_CHUNK = 200

_LAST_ROWID = text("SELECT coalesce(max(rowid), 0) FROM invoice_file")
# Only the XMLs of invoices (boletas, facturas, notes) are the counter's: the CDRs and the
# summaries are committed by the worker itself, which writes their files after its commit.
_NEW_XML = text(
    "SELECT f.rowid, i.xml_path, f.content FROM invoice_file AS f"
    " JOIN invoice AS i ON i.id = f.owner_id"
    " WHERE f.rowid > :after AND f.rowid <= :upto AND f.kind = 'xml'"
    " ORDER BY f.rowid LIMIT :chunk"
)

#: Per data directory, the largest ``invoice_file`` rowid whose copy this process has written.
_marks: dict[Path, int] = {}


def write_new(rt: EdgeRuntime, *, after: int | None = None) -> int:
    """Write the files of the XMLs committed since the last round (or since the ``invoice_file``
    row ``after``, when given); the number written."""
    data_dir = rt.settings.data_dir
    with read_session(rt.engine) as session:
        upto = int(session.execute(_LAST_ROWID).scalar_one())
        if after is None:
            after = _marks.get(data_dir)
        if after is None:  # this process's first round (see the module's docstring)
            after = max(0, upto - _CHUNK)
        written = 0
        while after < upto:
            rows = session.execute(_NEW_XML, {"after": after, "upto": upto, "chunk": _CHUNK}).all()
            for rowid, relpath, content in rows:
                if relpath and not (data_dir / relpath).exists():
                    if not files.try_write(data_dir, relpath, content, durable=False):
                        _marks[data_dir] = after  # disk full (logged once): from here next round
                        return written
                    written += 1
                after = rowid
            if len(rows) < _CHUNK:
                after = upto  # the rows left in the range are CDRs and summaries
    _marks[data_dir] = after
    return written


@job("billing.copies", seconds=1)  # one max(rowid) lookup when idle
def copies_job(rt: EdgeRuntime) -> int:
    return write_new(rt)


__all__ = ["copies_job", "write_new"]
