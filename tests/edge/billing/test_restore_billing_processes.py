"""Real processes (hub, ``labred edge serve`` / ``worker`` / ``enroll``, ``labred sandbox sunat``):
a sede's boletas are accepted by SUNAT and reach the hub with their signed XML and CDR; the disk
dies and the database comes back from a copy taken before them. ``labred edge enroll`` takes them
back — with their exact XML and CDR bytes, which the worker writes to disk again — and closes the
day's summary names (the restore may have lost names SUNAT holds)."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.procs import free_port, running, terminate, until
from tests.sync.cluster import Cluster, reception, sell_one, settled, wait_for

pytestmark = pytest.mark.slow


def _documents(db: Path) -> dict[str, tuple[str, str | None]]:
    """Accepted invoices: id -> (xml_path, cdr_path)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT id, xml_path, cdr_path FROM invoice WHERE state = 'aceptado'"
        ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _bytes(db: Path) -> dict[tuple[str, str], bytes]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT owner_id, kind, content FROM invoice_file").fetchall()
    return {(r[0], r[1]): bytes(r[2]) for r in rows}


def test_restored_sede_gets_its_signed_documents_back(tmp_path: Path) -> None:
    c = Cluster(tmp_path, edges=1)
    c.setup()
    (edge,) = c.edges
    sim_port = free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    with (edge.data / "edge.toml").open("a") as toml:
        toml.write(f'sunat_url = "{sim_url}/ol-ti-itcpfegem-beta/billService"\n')
    db = edge.data / "edge.sqlite3"
    try:
        with running("sandbox", "sunat", "--port", str(sim_port),
                     ready_url=f"{sim_url}/_sim/faults", log=tmp_path / "sim.log"):  # fmt: skip
            c.start_hub()
            c.enrol_and_serve()
            c.start_worker(edge)
            backup = tmp_path / "backup.sqlite3"
            edge.backup(backup)  # the last backup: before any document
            client, services = reception(edge)
            with contextlib.closing(client):
                for i in range(1, 3):
                    sell_one(client, edge, services, i)
            docs = until("two boletas accepted by SUNAT", lambda: len(_documents(db)) == 2
                          and _documents(db))  # fmt: skip
            original = _bytes(db)
            assert {kind for (owner, kind) in original if owner in docs} == {"xml", "cdr"}

            def at_hub() -> bool:
                with c.pg() as pg:
                    n = pg.execute(
                        "SELECT count(*) FROM sync_record WHERE record_type = 'invoice_document'"
                    ).fetchone()
                return settled(c, edge) and n == (2,)

            wait_for("the signed documents at the hub", at_hub, 60)
            assert edge.worker is not None and edge.serve is not None
            terminate(edge.worker)
            terminate(edge.serve)
            shutil.rmtree(edge.data / "documents")  # the disk dies
            edge.restore(backup)
            assert _documents(db) == {}

            c.re_enroll(edge)
            assert _documents(db) == docs
            restored = _bytes(db)
            for inv_id in docs:
                for kind in ("xml", "cdr"):
                    assert restored[(inv_id, kind)] == original[(inv_id, kind)]
            with contextlib.closing(sqlite3.connect(db)) as conn:
                assert conn.execute("SELECT floor FROM summary_floor").fetchall() == [(99,)]

            c.start_worker(edge, tag="after-restore")  # writes the files back
            for inv_id, (xml_path, cdr_path) in docs.items():
                assert cdr_path is not None
                xml_file, cdr_file = edge.data / xml_path, edge.data / cdr_path
                until(f"{xml_file.name} on disk", xml_file.exists, 60)
                assert xml_file.read_bytes() == original[(inv_id, "xml")]
                until(f"{cdr_file.name} on disk", cdr_file.exists, 60)
                assert cdr_file.read_bytes() == original[(inv_id, "cdr")]
    finally:
        c.stop()
