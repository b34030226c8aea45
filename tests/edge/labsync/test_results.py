"""Results back: ORU^R01 from the stand-in into the MLLP listener over real sockets; final,
preliminary and corrected results; NAKs for bad messages; delivery only with consent."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, col, select

from edge.db import read_session
from edge.labsync.dispatch import Dispatcher
from edge.labsync.hl7_parse import END_BLOCK, frame, parse_ack, unframe
from edge.labsync.models import LabInboundLog, LabOrderTest, LabResult
from edge.orders.models import Order, OrderStatusEvent
from edge.runtime import EdgeRuntime
from tests.edge.labsync.helpers import (
    add_lab,
    jobs_of,
    listener,
    make_order,
    set_clock,
    standin,
)


def _exchange(port: int, payload: bytes, timeout: float = 5) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        buf = b""
        while END_BLOCK not in buf:
            chunk = sock.recv(65536)
            assert chunk, "listener closed without answering"
            buf += chunk
    return unframe(buf)


def _status(rt: EdgeRuntime, order_id: str) -> str:
    with read_session(rt.engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order.status


def _results(rt: EdgeRuntime, order_id: str) -> list[LabResult]:
    with read_session(rt.engine) as session:
        rows = list(
            session.exec(
                select(LabResult)
                .where(LabResult.order_id == order_id)
                .order_by(col(LabResult.received_at), col(LabResult.placer_number))
            )
        )
        session.expunge_all()
        return rows


def _events(rt: EdgeRuntime) -> list[dict[str, object]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM sync_outbox WHERE record_type = 'results_ready'")
        ).all()
    return [json.loads(r[0]) for r in rows]


def test_final_preliminary_and_corrected_results_flow_back(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    consented: list[tuple[str, str]] = []

    def consent(session: Session, patient_id: str, channel: str) -> bool:
        consented.append((patient_id, channel))
        return channel == "whatsapp"

    with standin() as lab, listener(edge_runtime, consent=consent) as lst:
        lab.state.config.results_mllp = f"127.0.0.1:{lst.port}"
        add_lab(edge_runtime, port=lab.mllp_port)
        order = make_order(edge_runtime, codes=("BIO001", "HEM002"))
        with edge_runtime.engine.begin() as conn:  # sample taken: sent → enviada_laboratorio
            conn.execute(text("UPDATE lab_order SET status = 'muestra_tomada'"))
        Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()
        assert _status(edge_runtime, order.id) == "enviada_laboratorio"

        assert lab.state.send_results(order.number, "P") == "AA"
        assert _status(edge_runtime, order.id) == "enviada_laboratorio"  # preliminary only
        assert _events(edge_runtime) == []

        clock.advance(seconds=3600)
        assert lab.state.send_results(order.number, "F") == "AA"
        assert _status(edge_runtime, order.id) == "resultados_listos"
        (event,) = _events(edge_runtime)
        assert event["order_id"] == order.id and event["channels"] == ["whatsapp"]

        clock.advance(seconds=3600)
        assert lab.state.send_results(order.number, "C") == "AA"
        assert len(_events(edge_runtime)) == 1  # delivered once, not per correction

    rows = _results(edge_runtime, order.id)
    assert [r.status for r in rows] == ["P", "P", "F", "F", "C", "C"]
    current = [r for r in rows if r.superseded_by is None]
    assert [r.status for r in current] == ["C", "C"]
    by_id = {r.id: r for r in rows}
    for r in rows:  # history chain P -> F -> C per test
        if r.superseded_by:
            assert by_id[r.superseded_by].placer_number == r.placer_number
    glu = next(r for r in current if r.code == "GLU")
    assert glu.units == "mg/dL" and glu.reference_range == "70-99" and glu.flag in {
        "L", "H", "N", "LL", "HH",
    }  # fmt: skip
    assert glu.filler_number and glu.filler_number.startswith("LC-")
    job = jobs_of(edge_runtime, order.id)[0]
    assert set(job.filler_numbers) == set(job.placer_numbers)
    with read_session(edge_runtime.engine) as session:
        events = session.exec(
            select(OrderStatusEvent).where(OrderStatusEvent.order_id == order.id)
        ).all()
        assert [(e.from_status, e.to_status) for e in events] == [
            ("muestra_tomada", "enviada_laboratorio"),
            ("enviada_laboratorio", "resultados_listos"),
        ]


def test_no_consent_means_no_delivery_event(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab, listener(edge_runtime, consent=lambda s, p, c: False) as lst:
        lab.state.config.results_mllp = f"127.0.0.1:{lst.port}"
        add_lab(edge_runtime, port=lab.mllp_port)
        order = make_order(edge_runtime, codes=("BIO001",))
        Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()
        assert lab.state.send_results(order.number, "F") == "AA"
    assert _status(edge_runtime, order.id) == "resultados_listos"
    assert _events(edge_runtime) == []


def test_malformed_and_unknown_messages_are_naked_and_the_listener_keeps_serving(
    edge_runtime: EdgeRuntime,
) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab, listener(edge_runtime) as lst:
        lab.state.config.results_mllp = f"127.0.0.1:{lst.port}"
        add_lab(edge_runtime, port=lab.mllp_port)
        order = make_order(edge_runtime, codes=("BIO001",))
        Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()

        garbage = parse_ack(_exchange(lst.port, frame("esto no es HL7 \x00\xff")))
        assert garbage.code == "AR"
        adt = "MSH|^~\\&|X|Y|LABRED|S01|20261130||ADT^A01|ADT-1|P|2.5.1\rPID|1||1"
        wrong = parse_ack(_exchange(lst.port, frame(adt)))
        assert (wrong.code, wrong.control_id) == ("AR", "ADT-1")
        unknown = (
            "MSH|^~\\&|X|Y|LABRED|S01|20261130||ORU^R01|ORU-9|P|2.5.1\r"
            "OBR|1|S01-20990101-0001-1^LABRED||GLU^Glucosa^L\r"
            "OBX|1|NM|GLU^Glucosa^L|1|99|mg/dL|70-99|N|||F"
        )
        nak = parse_ack(_exchange(lst.port, frame(unknown)))
        assert (nak.code, nak.control_id) == ("AE", "ORU-9")
        assert "desconocido" in nak.text
        bad_status = unknown.replace("S01-20990101-0001-1", f"{order.number}-1").replace(
            "|||F", "|||Z"
        )
        assert parse_ack(_exchange(lst.port, frame(bad_status))).code == "AE"
        # a half frame then a hang-up, then an oversized-looking stream: still alive
        with socket.create_connection(("127.0.0.1", lst.port)) as s:
            s.sendall(b"\x0bMSH|^~\\&|partial")
        # and a good message still works, twice (a resend is acknowledged, not doubled)
        assert lab.state.send_results(order.number, "F") == "AA"
        good = lab.state.build_oru(order.number, "F")
        assert good is not None
        assert parse_ack(_exchange(lst.port, frame(good))).code == "AA"
        assert parse_ack(_exchange(lst.port, frame(good))).code == "AA"
        assert lst.alive
    assert len([r for r in _results(edge_runtime, order.id) if r.status == "F"]) == 2
    with read_session(edge_runtime.engine) as session:
        logged = session.exec(select(LabInboundLog).order_by(col(LabInboundLog.received_at)))
        codes = [(x.ack_code, x.error is not None) for x in logged]
    assert codes.count(("AR", True)) == 2 and codes.count(("AE", True)) == 2
    assert codes.count(("AA", False)) == 2 and codes.count(("AA", True)) == 1  # 1 duplicate


def test_pdf_report_is_kept_with_the_results(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab, listener(edge_runtime) as lst:
        add_lab(edge_runtime, port=lab.mllp_port)
        order = make_order(edge_runtime, codes=("BIO001",))
        Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()
        pdf = base64.b64encode(b"%PDF-1.4 informe").decode()
        oru = (
            "MSH|^~\\&|X|Y|LABRED|S01|20261130||ORU^R01|ORU-PDF|P|2.5.1\r"
            f"OBR|1|{order.number}-1^LABRED|LC-1^X|GLU^Glucosa^L|||||||||||||||||||||F\r"
            "OBX|1|NM|GLU^Glucosa^L|1|85|mg/dL|70-99|N|||F\r"
            f"OBX|2|ED|PDF^Informe^L|1|^application^pdf^Base64^{pdf}||||||F"
        )
        assert parse_ack(_exchange(lst.port, frame(oru))).code == "AA"
    (result,) = _results(edge_runtime, order.id)
    assert result.value == "85" and result.pdf_path
    assert Path(result.pdf_path).read_bytes() == b"%PDF-1.4 informe"
    with read_session(edge_runtime.engine) as session:
        test = session.exec(select(LabOrderTest)).one()
        assert (test.result_status, test.filler_number) == ("F", "LC-1")
