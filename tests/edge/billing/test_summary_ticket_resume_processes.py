"""Real processes (hub, ``labred edge serve`` / ``worker`` / ``enroll``, ``labred sandbox sunat``):
boletas go in a resumen diario (RC) whose ticket SUNAT is still processing when the sede's
database dies. The backup predates the RC; ``labred edge enroll`` takes back the boletas (pointing
at the lost RC) and the attempt log holding its ticket. The new worker rebuilds the RC from them,
polls the ticket and accepts the boletas — SUNAT never receives the RC a second time."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.procs import free_port, running, terminate, until
from tests.sync.cluster import Cluster, reception, sell_one, settled, wait_for

pytestmark = pytest.mark.slow


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return list(conn.execute(sql).fetchall())


def test_lost_rc_ticket_is_polled_after_restore_and_never_resent(tmp_path: Path) -> None:
    c = Cluster(tmp_path, edges=1)
    c.setup()
    (edge,) = c.edges
    sim_port = free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    with (edge.data / "edge.toml").open("a") as toml:
        toml.write(f'sunat_url = "{sim_url}/ol-ti-itcpfegem-beta/billService"\n')
        toml.write("boletas_via_summary = true\nsunat_summary_hour = 0\n")  # RC at once
    db = edge.data / "edge.sqlite3"
    try:
        with (
            running("sandbox", "sunat", "--port", str(sim_port),
                    ready_url=f"{sim_url}/_sim/faults", log=tmp_path / "sim.log"),
            httpx.Client(base_url=sim_url, timeout=20) as sim,
        ):  # fmt: skip
            # SUNAT keeps the ticket "in process" (98) until the restore is done.
            assert sim.post("/_sim/faults", json={"summary_pending_polls": 10_000}).is_success
            c.start_hub()
            c.enrol_and_serve()
            c.start_worker(edge)
            backup = tmp_path / "backup.sqlite3"
            edge.backup(backup)  # the last backup: before any sale
            client, services = reception(edge)
            with contextlib.closing(client):
                for i in range(1, 3):
                    sell_one(client, edge, services, i)
            (rc,) = until(
                "the RC sent, with its ticket",
                lambda: _rows(db, "SELECT id, name, ticket FROM sunat_summary "
                              "WHERE kind = 'RC' AND ticket IS NOT NULL"),
            )  # fmt: skip
            rc_id, rc_name, ticket = rc
            boletas = _rows(db, f"SELECT id FROM invoice WHERE summary_id = '{rc_id}'")
            assert len(boletas) == 2

            def ticket_at_hub() -> bool:
                with c.pg() as pg:
                    n = pg.execute(
                        "SELECT count(*) FROM sync_record WHERE record_type = 'sunat_submission'"
                        " AND payload->>'ticket' = %s",
                        (ticket,),
                    ).fetchone()
                return settled(c, edge) and n is not None and n[0] > 0

            wait_for("the RC's ticket at the hub", ticket_at_hub, 90)
            assert edge.worker is not None and edge.serve is not None
            terminate(edge.worker)
            terminate(edge.serve)
            shutil.rmtree(edge.data / "documents")  # the disk dies with the database
            edge.restore(backup)

            c.re_enroll(edge)
            assert _rows(db, "SELECT id FROM sunat_summary") == []  # the RC row is lost
            assert _rows(db, "SELECT DISTINCT state, summary_id FROM invoice") == [
                ("pendiente", rc_id)
            ]
            tickets = _rows(db, "SELECT DISTINCT ticket FROM sunat_submission "
                            "WHERE ticket IS NOT NULL")  # fmt: skip
            assert tickets == [(ticket,)]

            assert sim.post("/_sim/faults", json={"summary_pending_polls": 0}).is_success
            c.start_worker(edge, tag="after-restore")
            accepted = f"SELECT id FROM invoice WHERE state = 'aceptado' AND summary_id = '{rc_id}'"
            until("the boletas accepted through the RC's ticket",
                   lambda: len(_rows(db, accepted)) == 2, 120)  # fmt: skip
            assert _rows(db, "SELECT id, name, state, ticket, status_code FROM sunat_summary") == [
                (rc_id, rc_name, "aceptado", ticket, 0)
            ]
            registry = sim.get("/_sim/documents").json()
        (sent,) = registry["summaries"]
        assert (sent["filename"].split("-", 1)[1], sent["sends"]) == (rc_name, 1)
        lines = registry["summary_lines"]
        assert len(lines) == 2 and {ln["status"] for ln in lines} == {"aceptado"}
    finally:
        c.stop()
