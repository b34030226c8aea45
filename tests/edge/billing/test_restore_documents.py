"""Documents a restore takes back from the hub get their signed XML and CDR back (the hub's
``invoice_document`` copy): ``invoice_file`` rows and the files on disk, so reprints, downloads
and the SUNAT sender work; one still waiting for SUNAT (no hub copy) is signed again from its
rows, and kept only when it is the very document issued."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from domain.clock import FixedClock
from edge.billing import context, hubcopy, sender
from edge.billing.models import (
    ACEPTADO,
    PENDIENTE,
    InvoiceFile,
    RestoredFile,
)
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from edge.sync.enroll import enroll, load_credentials
from edge.sync.service import push_pending
from sync import outbox
from tests.edge.billing.conftest import RUC, Sim
from tests.edge.billing.helpers import invoice_row
from tests.edge.billing.test_fence import _restore, _snapshot, boleta
from tests.edge.factories import auth_headers
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client


def _files(rt: EdgeRuntime, owner_id: str) -> dict[str, bytes]:
    with read_session(rt.engine) as session:
        rows = session.exec(select(InvoiceFile).where(InvoiceFile.owner_id == owner_id)).all()
        return {r.kind: r.content for r in rows}


def test_reimported_documents_get_their_xml_and_cdr_back(
    edge_runtime: EdgeRuntime,
    edge_client: TestClient,
    hub_runtime: HubRuntime,
    hub_client: TestClient,
    sim: Sim,
    tmp_path: Path,
    monkeypatch: object,
) -> None:
    rt = edge_runtime
    clock = FixedClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    rt.clock = clock
    monkeypatch.setattr(outbox, "_clock", clock)  # type: ignore[attr-defined]
    context.bind(rt)
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    with hub_uow(hub_runtime.engine) as hub:
        from central.config.models import Company

        hub.add(Company(ruc=RUC, razon_social="LABRED S.A.C.", updated_at=clock.now()))

    def enrol() -> dict[str, object]:
        return enroll(rt.engine, rt.settings.data_dir, hub_url="http://hub",
                      code=new_code(hub_client, sede), clock=clock,
                      client=node_client(hub_client))  # fmt: skip

    enrol()
    client = node_client(hub_client, load_credentials(rt.settings.data_dir))
    snapshot = tmp_path / "backup.sqlite3"
    _snapshot(Path(str(rt.engine.url.database)), snapshot)  # the last backup: no documents yet
    accepted = boleta(rt)
    assert sender.send_round(rt, client=sim.client()).sent == 1  # accepted: hub copy made
    waiting = boleta(rt)  # issued, SUNAT not reached yet: no hub copy
    original = {d.id: _files(rt, d.id) for d in (accepted, waiting)}
    assert set(original[accepted.id]) == {"xml", "cdr"} and set(original[waiting.id]) == {"xml"}
    paths = invoice_row(rt, accepted.id)
    assert paths.cdr_path is not None
    assert push_pending(rt.engine, client, clock) > 0

    shutil.rmtree(rt.settings.data_dir / "documents")  # the disk dies with the database
    _restore(rt, snapshot)
    assert _files(rt, accepted.id) == {}
    result = enrol()
    assert int(result["reimported"]) > 0  # type: ignore[call-overload]

    # The accepted boleta: its exact bytes are back in the database, its files once written.
    assert _files(rt, accepted.id) == original[accepted.id]
    assert invoice_row(rt, accepted.id).state == ACEPTADO
    xml_file = rt.settings.data_dir / paths.xml_path
    cdr_file = rt.settings.data_dir / paths.cdr_path
    assert not xml_file.exists()
    assert hubcopy.write_restored(rt) == 2
    assert xml_file.read_bytes() == original[accepted.id]["xml"]
    assert cdr_file.read_bytes() == original[accepted.id]["cdr"]
    assert hubcopy.write_restored(rt) == 0  # the queue is empty
    with read_session(rt.engine) as session:
        assert session.exec(select(RestoredFile)).all() == []
    headers = auth_headers(rt, "admin")
    download = edge_client.get(f"/api/billing/{accepted.id}/xml", headers=headers)
    assert download.status_code == 200 and download.content == original[accepted.id]["xml"]
    reprint = edge_client.get(f"/api/billing/{accepted.id}/pdf", headers=headers)
    assert reprint.status_code == 200 and reprint.content.startswith(b"%PDF")

    # The waiting boleta: signed again from its rows (the same bytes) and sent.
    assert _files(rt, waiting.id) == {}
    assert invoice_row(rt, waiting.id).state == PENDIENTE
    assert sender.send_round(rt, client=sim.client()).sent == 1
    assert invoice_row(rt, waiting.id).state == ACEPTADO
    assert _files(rt, waiting.id)["xml"] == original[waiting.id]["xml"]
    assert (rt.settings.data_dir / invoice_row(rt, waiting.id).xml_path).exists()
    stem = f"{RUC}-03-{waiting.series}-{waiting.number}"
    assert sim.doc(stem)["status"] == "aceptado"


def test_a_document_that_cannot_be_rebuilt_leaves_the_queue_with_an_alarm(
    rt: EdgeRuntime, sim: Sim
) -> None:
    """Without its XML and with rows that no longer sign to the stored digest (the issuer's
    data changed), nothing is invented: the document waits for the operator."""
    good, changed = boleta(rt), boleta(rt)
    with unit_of_work(rt.engine) as session:
        conn = session.connection()
        conn.execute(text("DELETE FROM invoice_file"))
        conn.execute(
            text("UPDATE invoice SET customer_name = 'OTRO' WHERE id = :i"), {"i": changed.id}
        )
    report = sender.send_round(rt, client=sim.client())
    assert report.sent == 1
    assert invoice_row(rt, good.id).state == ACEPTADO  # rebuilt: same digest, same document
    stuck = invoice_row(rt, changed.id)
    assert (stuck.state, stuck.alarm, stuck.next_attempt_at) == (PENDIENTE, True, None)
    assert stuck.last_error is not None and "restauración" in stuck.last_error
    assert _files(rt, changed.id) == {}
    assert sender.send_round(rt, client=sim.client()).sent == 0  # out of the queue
