"""The laboratory stand-in on real sockets: MLLP orders with ACKs and dedupe, REST idempotency,
fault switches, and ORU^R01 results sent back to a listener."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hl7
import httpx
import pytest

from sandbox.lab.app import LabStandIn
from sandbox.lab.standin import EB, SB, ack_for
from sandbox.lab.values import ANALYTES, flag_for, make_value
from tests.procs import free_port, running

OML = (
    "MSH|^~\\&|LABRED|S01|LISSIM||20261130090000-0500||OML^O21^OML_O21|{cid}|P|2.5.1\r"
    "PID|1||45873219^^^RENIEC^NNPER||QUISPE MAMANI^ROSA^ELENA||19850412|F\r"
    "ORC|{ctl}|S01-20261130-0001-1^LABRED||S01-20261130-0001^LABRED|SC\r"
    "TQ1|1||||||||R\r"
    "OBR|1|S01-20261130-0001-1^LABRED||GLU^Glucosa basal^L^1558-6^Glucosa basal^LN\r"
    "SPM|1|S01202611300010^LABRED||SER^Suero^HL70487"
)


def _send(port: int, text: str, timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(SB + text.encode() + EB)
        buf = b""
        while EB not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return buf


def _ack(raw: bytes) -> tuple[str, str]:
    msa = hl7.parse(raw.strip(SB + EB).decode()).segment("MSA")
    return str(msa[1]), str(msa[2])


@pytest.fixture
def lab() -> Iterator[LabStandIn]:
    stand = LabStandIn(seed=1, token="t0k").start()
    stand.state.config.auto_results = False
    yield stand
    stand.stop()


def test_mllp_order_is_acked_and_deduplicated_by_control_id(lab: LabStandIn) -> None:
    assert _ack(_send(lab.mllp_port, OML.format(cid="C-1", ctl="NW"))) == ("AA", "C-1")
    assert _ack(_send(lab.mllp_port, OML.format(cid="C-1", ctl="NW"))) == ("AA", "C-1")
    st = lab.state
    assert st.receipts == {"C-1": 2} and st.duplicates == 1
    assert st.applied_new == {"S01-20261130-0001": 1}
    test = st.orders["S01-20261130-0001"].tests["S01-20261130-0001-1"]
    assert (test["code"], test["loinc"], test["filler"][:3]) == ("GLU", "1558-6", "LC-")
    assert _ack(_send(lab.mllp_port, OML.format(cid="C-2", ctl="CA"))) == ("AA", "C-2")
    assert st.orders["S01-20261130-0001"].cancelled


def test_fault_switches(lab: LabStandIn) -> None:
    admin = httpx.Client(base_url=lab.url, timeout=5)
    assert admin.post("/_lab/faults", json={"nak": 1, "nak_code": "AE"}).json()["nak"] == 1
    assert _ack(_send(lab.mllp_port, OML.format(cid="N-1", ctl="NW"))) == ("AE", "N-1")
    assert lab.state.receipts == {}  # a NAKed message is not applied
    admin.post("/_lab/faults", json={"garbage": 1})
    raw = _send(lab.mllp_port, OML.format(cid="G-1", ctl="NW"))
    with pytest.raises(Exception):  # noqa: B017 - any parse failure
        _ack(raw)
    admin.post("/_lab/faults", json={"down": True})
    assert _send(lab.mllp_port, OML.format(cid="D-1", ctl="NW")) == b""  # hung up
    assert admin.post("/api/orders", json={}).status_code == 503
    admin.post("/_lab/faults", json={"down": False, "slow_ms": 800})
    with pytest.raises(TimeoutError):
        _send(lab.mllp_port, OML.format(cid="S-1", ctl="NW"), timeout=0.3)
    admin.post("/_lab/faults", json={"slow_ms": 0, "drop_ack": 1})
    assert _send(lab.mllp_port, OML.format(cid="L-1", ctl="NW")) == b""  # applied, ACK lost
    assert lab.state.applied_new["S01-20261130-0001"] >= 1
    assert admin.get("/_lab/state").json()["receipts"]["L-1"] == 1
    admin.close()


def test_rest_orders_are_idempotent_by_key(lab: LabStandIn) -> None:
    body = {
        "order_number": "S01-20261130-0002",
        "patient": {"doc_number": "45873219", "first_names": "ROSA", "last_names": "QUISPE"},
        "tests": [{"control": "NW", "placer_number": "S01-20261130-0002-1", "code": "GLU"}],
    }
    h = {"Authorization": "Bearer t0k"}
    with httpx.Client(base_url=lab.url, timeout=5) as c:
        assert c.post("/api/orders", json=body, headers=h).status_code == 400  # no key
        bad = {"Authorization": "Bearer nope", "Idempotency-Key": "K1"}
        assert c.post("/api/orders", json=body, headers=bad).status_code == 401
        first = c.post("/api/orders", json=body, headers={**h, "Idempotency-Key": "K1"}).json()
        again = c.post("/api/orders", json=body, headers={**h, "Idempotency-Key": "K1"}).json()
    assert first["duplicate"] is False and again["duplicate"] is True
    assert first["filler_numbers"] == again["filler_numbers"] != {}
    assert lab.state.applied_new == {"S01-20261130-0002": 1}
    assert lab.state.receipts == {"K1": 2}


@contextmanager
def _receiver() -> Iterator[tuple[int, list[str]]]:
    got: list[str] = []

    class H(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            buf = b""
            while EB not in buf:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                buf += chunk
            text = buf.strip(SB + EB).decode()
            got.append(text)
            cid = str(hl7.parse(text).segment("MSH")[10])
            self.request.sendall(SB + ack_for("AA", cid).encode() + EB)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield server.server_address[1], got
    finally:
        server.shutdown()
        server.server_close()


def test_results_are_sent_back_after_a_delay(lab: LabStandIn) -> None:
    with _receiver() as (port, got):
        lab.state.config.results_mllp = f"127.0.0.1:{port}"
        lab.state.config.auto_results, lab.state.config.result_delay = True, 0.1
        assert _ack(_send(lab.mllp_port, OML.format(cid="R-1", ctl="NW")))[0] == "AA"
        deadline = threading.Event()
        for _ in range(100):
            if got:
                break
            deadline.wait(0.05)
        assert len(got) == 1
    oru = hl7.parse(got[0])
    msh = oru.segment("MSH")
    assert (str(msh[9][0][0]), str(msh[9][0][1])) == ("ORU", "R01")
    orc, obr, obx = oru.segment("ORC"), oru.segment("OBR"), oru.segment("OBX")
    assert (str(orc[1]), str(orc[2][0][0])) == ("RE", "S01-20261130-0001-1")
    assert str(obr[25]) == "F" and str(obx[11]) == "F"
    assert str(obx[2]) == "NM" and float(str(obx[5])) >= 0
    assert str(obx[6][0][0]) == "mg/dL" and str(obx[7]) == "70-99"
    assert str(obx[8]) in {"L", "H", "N", "LL", "HH"}
    # The stand-in logs the result once it has read the receiver's ACK, just after sending.
    for _ in range(100):
        if lab.state.results_log:
            break
        threading.Event().wait(0.05)
    assert lab.state.results_log == [{"order": "S01-20261130-0001", "status": "F", "ack": "AA"}]


def test_values_and_flags_are_realistic() -> None:
    glu = ANALYTES["GLU"]
    assert [flag_for(v, glu) for v in (20, 65, 80, 120, 200)] == ["LL", "L", "N", "H", "HH"]
    vt, value, units, rng, flag = make_value("XYZ")
    assert (vt, units) == ("ST", "") and value
    vt, value, units, rng, flag = make_value("", "718-7")
    assert (vt, units, rng) == ("NM", "g/dL", "12.0-16.0")


def test_cli_starts_the_stand_in(tmp_path: Path) -> None:
    port, mllp = free_port(), free_port()
    with running(
        "sandbox", "lab", "--port", str(port), "--mllp-port", str(mllp),
        ready_url=f"http://127.0.0.1:{port}/health", log=tmp_path / "lab.log",
    ):  # fmt: skip
        assert _ack(_send(mllp, OML.format(cid="P-1", ctl="NW"))) == ("AA", "P-1")
        state = httpx.get(f"http://127.0.0.1:{port}/_lab/state", timeout=5).json()
        assert state["applied_new"] == {"S01-20261130-0001": 1}
