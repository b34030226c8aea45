"""Notifications: events from sync rows, consent, exactly-once, a real SMTP server (aiosmtpd),
the WhatsApp Cloud API stand-in, retries with backoff, templates and the API."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from central.db import unit_of_work
from central.notifications import dispatch
from central.notifications.adapters import Channels, SmtpMailer, WhatsAppClient
from central.runtime import HubRuntime
from central.sync.models import HubPatient
from domain.clock import FixedClock
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from sandbox.smtp import SmtpSandbox
from sandbox.whatsapp import create_app as whatsapp_app
from tests.central.auth.factories import auth_headers, make_sede, make_user
from tests.central.reconciliation.builders import T0, SedeDay, push_rows

NOW = T0 + dt.timedelta(minutes=5)
S01 = sede_id_for("S01")
TOKEN = "token-de-prueba"


@pytest.fixture
def rt(hub_runtime: HubRuntime) -> Iterator[HubRuntime]:
    hub_runtime.clock = FixedClock(NOW)
    make_sede(hub_runtime, "S01")
    yield hub_runtime


@pytest.fixture
def smtp() -> Iterator[SmtpSandbox]:
    with SmtpSandbox() as box:
        yield box


@pytest.fixture
def wa() -> Iterator[TestClient]:
    with TestClient(whatsapp_app(TOKEN), base_url="http://wa.test") as client:
        yield client


@pytest.fixture
def channels(smtp: SmtpSandbox, wa: TestClient) -> Channels:
    return Channels(
        mailer=SmtpMailer(host=smtp.host, port=smtp.port, timeout=5),
        whatsapp=WhatsAppClient(
            http=wa, base_url="http://wa.test/v20.0", phone_number_id="1234567", token=TOKEN
        ),  # fmt: skip
    )


def patient(rt: HubRuntime, *, email: str | None = "ana@example.pe",
            phone: str | None = "+51 987654321") -> str:  # fmt: skip
    pid = new_id()
    with unit_of_work(rt.engine) as session:
        session.add(HubPatient(id=pid, doc_type="1", doc_number="44443333", first_names="Ana",
                               last_names="Quispe", email=email, phone=phone, home_sede_id=S01,
                               created_at=T0, updated_at=T0))  # fmt: skip
    return pid


def consent(rt: HubRuntime, pid: str, kind: str, granted: bool, minute: int = 0) -> None:
    at = (T0 + dt.timedelta(minutes=minute)).isoformat()
    push_rows(rt.engine, [("patient_consent", {
        "id": new_id(), "patient_id": pid, "sede_id": S01, "kind": kind, "granted": granted,
        "business_date": "2026-11-29", "created_at": at,
    })])  # fmt: skip


def run(rt: HubRuntime, channels: Channels) -> dict[str, int]:
    with unit_of_work(rt.engine) as session:
        dispatch.process_events(session=session, now=rt.clock.now())
    with unit_of_work(rt.engine) as session:
        return dispatch.send_due(session=session, now=rt.clock.now(), channels=channels)


def rows(rt: HubRuntime) -> list[dict[str, Any]]:
    with rt.engine.connect() as conn:
        result = conn.execute(text("SELECT * FROM notification ORDER BY channel, created_at"))
        return [dict(r._mapping) for r in result]


def test_an_order_is_announced_once_over_the_consented_channels(
    rt: HubRuntime, channels: Channels, smtp: SmtpSandbox, wa: TestClient
) -> None:
    pid = patient(rt)
    consent(rt, pid, "contacto_email", True)
    consent(rt, pid, "contacto_whatsapp", True)
    day = SedeDay(rt.engine, "S01")
    order = day.order("45.00", patient_id=pid)
    day.push([("order", order)])
    assert run(rt, channels) == {"sent": 2, "retry": 0, "failed": 0}
    (mail,) = smtp.messages
    assert mail["To"] == "ana@example.pe" and order["number"] in mail["Subject"]
    assert "S/ 45.00" in mail.get_content()
    (msg,) = wa.get("/_sandbox/messages").json()["messages"]
    assert msg["to"] == "51987654321" and order["number"] in msg["body"]
    # sync delivers the order again, and the status changes: nothing new is sent
    day.push([("order", order)])
    order["status"] = "muestra_tomada"
    day.push([("order", order)])
    assert run(rt, channels) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(smtp.messages) == 1 and [r["status"] for r in rows(rt)] == ["sent", "sent"]


def test_a_patient_without_consent_is_never_messaged(
    rt: HubRuntime, channels: Channels, smtp: SmtpSandbox, wa: TestClient
) -> None:
    pid = patient(rt)
    consent(rt, pid, "contacto_email", True, minute=0)
    consent(rt, pid, "contacto_email", False, minute=3)  # withdrawn later: the latest wins
    day = SedeDay(rt.engine, "S01")
    day.push([("order", day.order(patient_id=pid))])
    run(rt, channels)
    assert smtp.messages == [] and wa.get("/_sandbox/messages").json()["messages"] == []
    assert {(r["channel"], r["status"], r["last_error"]) for r in rows(rt)} == {
        ("email", "skipped", "sin consentimiento"),
        ("whatsapp", "skipped", "sin consentimiento"),
    }


def test_an_accepted_document_is_mailed_with_its_pdf(
    rt: HubRuntime, channels: Channels, smtp: SmtpSandbox
) -> None:
    pid = patient(rt, phone=None)
    consent(rt, pid, "contacto_email", True)
    day = SedeDay(rt.engine, "S01")
    order = day.order("80.00", patient_id=pid)
    invoice = day.invoice(order, state="pendiente")
    day.push([("invoice", invoice)])
    run(rt, channels)  # the order was not pushed in this test: only the document matters
    assert smtp.messages == []
    invoice["state"] = "aceptado"
    signed = {"id": invoice["id"], "sede_id": invoice["sede_id"],
              "business_date": invoice["business_date"],
              "xml_filename": "20100070970-03-B001-1.xml",
              "xml_b64": base64.b64encode(b"<Invoice>firmado</Invoice>").decode(),
              "cdr_filename": "R-20100070970-03-B001-1.zip",
              "cdr_b64": base64.b64encode(b"PK-cdr").decode()}  # fmt: skip
    day.push([("order", order), ("invoice", invoice), ("invoice_document", signed)])
    run(rt, channels)
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert any("B001-1" in s for s in subjects)
    mail = next(m for m in smtp.messages if "B001-1" in m["Subject"])
    pdf, xml, cdr = list(mail.iter_attachments())
    assert pdf.get_filename() == "boleta-B001-1.pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert (xml.get_filename(), xml.get_content()) == (
        "20100070970-03-B001-1.xml",
        b"<Invoice>firmado</Invoice>",
    )
    assert (cdr.get_filename(), cdr.get_content_type()) == (
        "R-20100070970-03-B001-1.zip",
        "application/zip",
    )
    day.push([("invoice", invoice)])  # accepted again (re-delivery): not mailed twice
    run(rt, channels)
    assert sum("B001-1" in m["Subject"] for m in smtp.messages) == 1


def test_without_its_signed_xml_the_mail_waits_then_goes_with_the_pdf(
    rt: HubRuntime, channels: Channels, smtp: SmtpSandbox
) -> None:
    """An edge that does not replicate the XML (older version): retried, then PDF alone."""
    pid = patient(rt, phone=None)
    consent(rt, pid, "contacto_email", True)
    day = SedeDay(rt.engine, "S01")
    order = day.order("80.00", patient_id=pid)
    day.push([("order", order), ("invoice", day.invoice(order, state="aceptado"))])
    assert run(rt, channels)["retry"] == 1  # (the order's own announcement goes out)
    (row,) = [r for r in rows(rt) if r["event"] == "invoice_accepted"]
    assert "XML" in row["last_error"]
    assert isinstance(rt.clock, FixedClock)
    for _ in range(3):
        rt.clock.advance(dt.timedelta(hours=2))
        assert run(rt, channels) == {"sent": 0, "retry": 1, "failed": 0}
    assert not [m for m in smtp.messages if "B001-1" in m["Subject"]]
    rt.clock.advance(dt.timedelta(hours=2))
    assert run(rt, channels) == {"sent": 1, "retry": 0, "failed": 0}  # last attempt
    (mail,) = [m for m in smtp.messages if "B001-1" in m["Subject"]]
    assert [a.get_filename() for a in mail.iter_attachments()] == ["boleta-B001-1.pdf"]


def test_results_ready_and_discrepancy_alerts(
    rt: HubRuntime, channels: Channels, smtp: SmtpSandbox, wa: TestClient
) -> None:
    pid = patient(rt, email=None)
    consent(rt, pid, "contacto_whatsapp", True)
    push_rows(rt.engine, [("results_ready", {
        "id": new_id(), "order_id": new_id(), "order_number": "S01-20261129-0007",
        "patient_id": pid, "sede_id": S01, "channels": ["whatsapp"],
        "business_date": "2026-11-29",
    })])  # fmt: skip
    make_user(rt, Role.SUPERVISOR, email="sup@example.pe", sede_ids=[S01])
    make_user(rt, Role.SUPERVISOR, email="otra@example.pe", sede_ids=[sede_id_for("S02")])
    make_user(rt, Role.ADMIN, email="jefa@example.pe", sede_ids=[])
    from central.notifications import events

    class Closure:
        id, sede_id, reopen_count = "c-1", S01, 0
        business_date, discrepancy_count, critical_count = dt.date(2026, 11, 29), 2, 1

    with unit_of_work(rt.engine) as session:
        assert events.discrepancy_found(session, closure=Closure, now=NOW)
        assert not events.discrepancy_found(session, closure=Closure, now=NOW)
    run(rt, channels)
    (msg,) = wa.get("/_sandbox/messages").json()["messages"]
    assert "S01-20261129-0007" in msg["body"]
    assert sorted(r[0] for r in smtp.recipients) == ["jefa@example.pe", "sup@example.pe"]
    assert "2 discrepancia(s)" in smtp.messages[0]["Subject"]


def test_failures_are_retried_with_backoff_then_given_up(
    rt: HubRuntime, channels: Channels, wa: TestClient
) -> None:
    pid = patient(rt, email=None)
    consent(rt, pid, "contacto_whatsapp", True)
    day = SedeDay(rt.engine, "S01")
    day.push([("order", day.order(patient_id=pid))])
    wa.post("/_sandbox/faults", json={"fail_next": 1, "status": 503})
    assert run(rt, channels) == {"sent": 0, "retry": 1, "failed": 0}
    (row,) = rows(rt)
    assert row["next_attempt_at"] == NOW + dt.timedelta(seconds=30) and row["attempts"] == 1
    assert run(rt, channels)["sent"] == 0  # not due yet
    rt.clock.advance(seconds=31)  # type: ignore[attr-defined]
    assert run(rt, channels)["sent"] == 1
    # an unreachable SMTP server: retried, then failed after max attempts
    dead = Channels(mailer=SmtpMailer(host="127.0.0.1", port=1, timeout=1))
    with unit_of_work(rt.engine) as session:
        from central.notifications import service

        (n,) = service.queue_manual(session=session, clock=rt.clock, actor=_actor(),
                                    channel="email", recipients=["x@example.pe"],
                                    subject="Hola", body="Prueba")  # fmt: skip
        n.max_attempts = 2
    for _ in range(2):
        with unit_of_work(rt.engine) as session:
            dispatch.send_due(session=session, now=rt.clock.now(), channels=dead)
        rt.clock.advance(seconds=120)  # type: ignore[attr-defined]
    final = {r["recipient"]: r for r in rows(rt)}["x@example.pe"]
    assert final["status"] == "failed" and final["attempts"] == 2
    assert "SMTP" in final["last_error"]


def _actor() -> Any:
    from central.auth.tokens import Principal

    return Principal(user_id="u", username="admin", full_name="Admin", role=Role.ADMIN,
                     sede_ids=[])  # fmt: skip


def test_templates_and_manual_messages_through_the_api(
    rt: HubRuntime, hub_client: TestClient, channels: Channels, smtp: SmtpSandbox
) -> None:
    admin = auth_headers(rt)
    r = hub_client.get("/api/notifications/templates", headers=admin)
    assert r.status_code == 200
    templates = {(t["event"], t["channel"]): t for t in r.json()["items"]}
    assert ("results_ready", "whatsapp") in templates
    tpl = templates[("order_created", "email")]
    bad = hub_client.put(f"/api/notifications/templates/{tpl['id']}",
                         json={"body": "Hola {{ patient_name "}, headers=admin)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "template_syntax_error"
    sneaky = hub_client.put(
        f"/api/notifications/templates/{tpl['id']}",
        json={"body": "{{ ''.__class__.__mro__ }} Orden {{ order_number }} lista"},
        headers=admin,
    )
    assert sneaky.status_code == 200
    dup = hub_client.post("/api/notifications/templates", headers=admin, json={
        "event": "order_created", "channel": "email", "name": "x", "body": "y"})  # fmt: skip
    assert dup.status_code == 409
    pid = patient(rt, phone=None)
    consent(rt, pid, "contacto_email", True)
    day = SedeDay(rt.engine, "S01")
    order = day.order(patient_id=pid)
    day.push([("order", order)])
    run(rt, channels)  # the sandbox refuses to expose internals: the message still goes out
    assert smtp.messages == [] or "__mro__" not in smtp.messages[0].get_content()
    r = hub_client.post("/api/notifications/email", headers=admin,
                        json={"to": ["luis@example.pe"], "subject": "Aviso",
                              "body": "Venga en ayunas."})  # fmt: skip
    assert r.status_code == 202 and r.json()["items"][0]["status"] == "pending"
    bad_mail = hub_client.post(
        "/api/notifications/email",
        headers=admin,
        json={"to": ["no-es-correo"], "subject": "a", "body": "b"},
    )
    assert bad_mail.status_code == 422
    run(rt, channels)
    assert any(m["To"] == "luis@example.pe" for m in smtp.messages)
    history = hub_client.get("/api/notifications/history", params={"status": "sent"},
                             headers=admin).json()  # fmt: skip
    sent = next(n for n in history["items"] if n["recipient"] == "luis@example.pe")
    again = hub_client.post(f"/api/notifications/{sent['id']}/resend", headers=admin)
    assert again.status_code == 202 and again.json()["resend_of"] == sent["id"]
    run(rt, channels)
    assert sum(m["To"] == "luis@example.pe" for m in smtp.messages) == 2
    clerk = auth_headers(rt, Role.SUPERVISOR)
    assert hub_client.get("/api/notifications/history", headers=clerk).status_code == 403
