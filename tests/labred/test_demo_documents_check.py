"""The demo's invariant on document files: every signed XML a sede committed is also its file
under ``documents/``, byte for byte; it waits a little for the worker's last copies and fails on
a file missing or different."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from labred.demo.checks import documents_check

XML = {"documents/2026-11-30/20100070970-03-B001-1.xml": b"<Invoice>1</Invoice>",
       "documents/2026-11-30/20100070970-03-B001-2.xml": b"<Invoice>2</Invoice>"}  # fmt: skip


def _sede(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "edge.sqlite3")
    conn.executescript(
        "CREATE TABLE invoice (id TEXT, xml_path TEXT);"
        "CREATE TABLE invoice_file (owner_id TEXT, kind TEXT, content BLOB);"
    )
    for k, (relpath, content) in enumerate(XML.items()):
        conn.execute("INSERT INTO invoice VALUES (?, ?)", (f"i{k}", relpath))
        conn.execute("INSERT INTO invoice_file VALUES (?, 'xml', ?)", (f"i{k}", content))
        conn.execute("INSERT INTO invoice_file VALUES (?, 'cdr', x'504b')", (f"i{k}",))
    return conn


def _write(tmp_path: Path, relpath: str, content: bytes) -> None:
    (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / relpath).write_bytes(content)


def test_every_file_kept_holds(tmp_path: Path) -> None:
    for relpath, content in XML.items():
        _write(tmp_path, relpath, content)
    ok, what = documents_check(_sede(tmp_path), tmp_path, "S01", wait_s=0)
    assert ok and what.endswith("(2/2)")


def test_a_missing_or_different_file_breaks_it(tmp_path: Path) -> None:
    first, second = XML
    _write(tmp_path, first, XML[first])
    conn = _sede(tmp_path)
    assert documents_check(conn, tmp_path, "S01", wait_s=0.3) == (
        False,
        "S01: every signed XML also kept as its file under documents/ (1/2)",
    )
    _write(tmp_path, second, b"")  # what a power cut leaves
    assert documents_check(conn, tmp_path, "S01", wait_s=0)[0] is False


def test_it_waits_for_the_workers_last_copy(tmp_path: Path) -> None:
    first, second = XML
    _write(tmp_path, first, XML[first])
    late = threading.Timer(0.4, _write, (tmp_path, second, XML[second]))
    late.start()
    try:
        ok, _ = documents_check(_sede(tmp_path), tmp_path, "S01", wait_s=10)
    finally:
        late.join()
    assert ok
