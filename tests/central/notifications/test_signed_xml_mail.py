"""End to end: a boleta issued at the edge, accepted by the SUNAT simulator (real HTTP), pushed
to the hub through the real sync ingest, and e-mailed by the hub to the patient through a real
SMTP server (aiosmtpd) with its PDF summary, the exact signed XML and SUNAT's CDR."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from central.config.models import Company
from central.db import unit_of_work as hub_uow
from central.notifications import dispatch
from central.notifications.adapters import Channels, SmtpMailer
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.sunat import verify
from edge.billing import sender, service
from edge.billing.models import ACEPTADO, InvoiceDocument, InvoiceFile
from edge.db import read_session, unit_of_work
from edge.patients.models import Patient, PatientConsent
from edge.runtime import EdgeRuntime
from edge.sync.enroll import enroll, load_credentials
from edge.sync.service import push_pending
from sandbox.smtp import SmtpSandbox
from tests.edge.billing.conftest import BILL_PATH, CONSULT_PATH, RUC, _sim_app, add_order
from tests.edge.billing.test_issuing import sunat_errors
from tests.procs import serve_in_thread
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client


@pytest.fixture
def smtp() -> Iterator[SmtpSandbox]:
    with SmtpSandbox() as box:
        yield box


def _sunat_client(base: str, http: httpx.Client) -> object:
    from edge.billing.sunat_client import SunatClient

    return SunatClient(
        http,
        endpoint_bill=base + BILL_PATH,
        endpoint_consult=base + CONSULT_PATH,
        username=RUC + "MODDATOS",
        password="MODDATOS",
        timeout=10.0,
    )


def test_accepted_boleta_is_mailed_with_its_signed_xml_and_cdr(
    edge_runtime: EdgeRuntime,
    hub_runtime: HubRuntime,
    hub_client: TestClient,
    smtp: SmtpSandbox,
    sunat_data: Path,
) -> None:
    rt = edge_runtime
    clock = FixedClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    rt.clock = clock
    hub_runtime.clock = clock
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    with hub_uow(hub_runtime.engine) as session:
        session.add(Company(ruc=RUC, razon_social="LABRED S.A.C.", updated_at=clock.now()))
    enroll(rt.engine, rt.settings.data_dir, hub_url="http://hub",
           code=new_code(hub_client, sede), clock=clock,
           client=node_client(hub_client))  # fmt: skip
    sync = node_client(hub_client, load_credentials(rt.settings.data_dir))

    with unit_of_work(rt.engine) as session:  # the sale, with the patient's e-mail consent
        order = add_order(session, clock)
        patient = session.get(Patient, order.patient_id)
        assert patient is not None
        patient.email = "maria@example.pe"
        session.add(patient)
        session.add(PatientConsent(patient_id=patient.id, sede_id=sede, kind="contacto_email",
                                   granted=True, version="v1", channel="presencial",
                                   business_date=order.business_date,
                                   created_at=clock.now()))  # fmt: skip
        inv = service.issue_for_order(
            session=session, settings=rt.settings, clock=clock, order=order
        )
        inv_id, stem = inv.id, f"{RUC}-03-{inv.series}-{inv.number}"
    with serve_in_thread(_sim_app(None)) as base, httpx.Client() as http:
        report = sender.send_round(rt, client=_sunat_client(base, http))  # type: ignore[arg-type]
    assert report.answered == {ACEPTADO: 1}
    with read_session(rt.engine) as session:
        copy = session.get(InvoiceDocument, inv_id)
        assert copy is not None and copy.cdr_filename == f"R-{stem}.zip"
        signed = session.exec(
            select(InvoiceFile).where(InvoiceFile.owner_id == inv_id, InvoiceFile.kind == "xml")
        ).one()
        xml_bytes = signed.content
    assert push_pending(rt.engine, sync, clock) > 0

    with hub_runtime.engine.connect() as conn:  # stored on the hub with the document
        payload = conn.execute(
            text("SELECT payload FROM sync_record WHERE record_type = 'invoice_document' "
                 "AND id = :i"), {"i": inv_id},
        ).scalar_one()  # fmt: skip
    assert base64.b64decode(payload["xml_b64"]) == xml_bytes

    channels = Channels(mailer=SmtpMailer(host=smtp.host, port=smtp.port, timeout=5))
    with hub_uow(hub_runtime.engine) as session:
        dispatch.process_events(session=session, now=clock.now())
    with hub_uow(hub_runtime.engine) as session:
        counts = dispatch.send_due(session=session, now=clock.now(), channels=channels)
    mails = [m for m in smtp.messages if inv.series in str(m["Subject"])]
    assert counts["sent"] >= 1 and len(mails) == 1, counts
    (mail,) = mails
    assert mail["To"] == "maria@example.pe"
    parts = {str(a.get_filename()): a for a in mail.iter_attachments()}
    assert sorted(parts) == sorted(
        [f"boleta-{inv.series}-{inv.number}.pdf", f"{stem}.xml", f"R-{stem}.zip"]
    )
    attached_xml = parts[f"{stem}.xml"].get_content()
    assert attached_xml == xml_bytes  # byte for byte what SUNAT received
    assert parts[f"{stem}.xml"].get_content_type() == "application/xml"
    assert sunat_errors(sunat_data, attached_xml) == []
    assert verify(attached_xml)  # the signature still holds after the trip (its digest)
    with zipfile.ZipFile(io.BytesIO(parts[f"R-{stem}.zip"].get_content())) as cdr:
        assert f"R-{stem}.xml" in cdr.namelist()
