"""The laboratory's side: receives orders (HL7 over MLLP or REST JSON), drops duplicates by
control id, answers ACKs, and after a delay sends ORU^R01 results back (MLLP or webhook).

Duplicates: a message whose control id (MSH-10 / Idempotency-Key) was already processed is
acknowledged again but not applied; ``receipts`` counts every arrival per control id and
``applied_new`` counts new orders registered per order number (exactly-once assertions).

Faults (``Faults``, changeable at run time): ``down`` (connections are closed at once; REST
answers 503), ``slow_ms`` (wait before answering), ``nak`` (the next N messages, -1 = all,
get ``nak_code`` AE/AR and are not applied), ``garbage`` (answer the next N with bytes that
are not HL7), ``drop_ack`` (apply the next N, then close without answering: a lost ACK).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import socket
import socketserver
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import hl7

from sandbox.lab.values import make_value

SB, EB = b"\x0b", b"\x1c\x0d"
APP = "LISSIM"


def esc(v: str) -> str:
    return (
        v.replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\")
        .replace("&", "\\T\\").replace("~", "\\R\\")
    )  # fmt: skip


def seg(name: str, fields: dict[int, str | list[str]]) -> str:
    """A segment by field index (components of a list are escaped and joined with ^)."""
    last = max(fields)
    parts = []
    for i in range(1, last + 1):
        v = fields.get(i, "")
        parts.append("^".join(esc(c) for c in v) if isinstance(v, list) else esc(v))
    if name == "MSH":
        return "MSH|^~\\&|" + "|".join(parts[2:])
    return name + "|" + "|".join(parts)


def ts(now: dt.datetime | None = None) -> str:
    lima = dt.timezone(dt.timedelta(hours=-5))
    return (now or dt.datetime.now(dt.UTC)).astimezone(lima).strftime("%Y%m%d%H%M%S%z")


def f(segment: Any, index: int, comp: int = 1, rep: int = 1) -> str:
    try:
        return str(segment.extract_field(1, index, rep, comp, 1))
    except (IndexError, KeyError, TypeError):
        return ""


@dataclass
class Faults:
    down: bool = False
    slow_ms: int = 0
    nak: int = 0
    nak_code: str = "AR"
    garbage: int = 0
    drop_ack: int = 0

    def take(self, name: str) -> bool:
        n = getattr(self, name)
        if n == 0:
            return False
        if n > 0:
            setattr(self, name, n - 1)
        return True


@dataclass
class Config:
    results_mllp: str = ""  # host:port of the sede's listener
    results_webhook: str = ""  # URL of POST /api/lab-sync/results
    results_token: str = ""
    result_delay: float = 2.0
    auto_results: bool = True
    result_ratio: float = 1.0  # share of orders that get results automatically


@dataclass
class LabOrder:
    number: str
    patient_doc: str
    patient_name: str
    tests: dict[str, dict[str, str]] = field(default_factory=dict)  # placer -> test
    cancelled: bool = False
    results_sent: int = 0


class LabState:
    def __init__(self, *, seed: int | None = None) -> None:
        self.lock = threading.RLock()
        self.faults = Faults()
        self.config = Config()
        self.rng = random.Random(seed)
        self._filler = itertools.count(77001)
        self._msg = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.orders: dict[str, LabOrder] = {}
            self.receipts: Counter[str] = Counter()
            self.applied_new: Counter[str] = Counter()
            self.answers: dict[str, tuple[str, dict[str, str]]] = {}
            self.duplicates = 0
            self.results_log: list[dict[str, Any]] = []
            self.faults = Faults()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "orders": {
                    n: {**asdict(o), "tests": dict(o.tests)} for n, o in self.orders.items()
                },
                "receipts": dict(self.receipts),
                "applied_new": dict(self.applied_new),
                "duplicates": self.duplicates,
                "results": list(self.results_log),
                "faults": asdict(self.faults),
                "config": asdict(self.config),
            }

    # ----------------------------------------------------------------- orders in
    def apply(self, control_id: str, order_number: str, patient_doc: str, patient_name: str,
              tests: list[dict[str, str]]) -> tuple[bool, dict[str, str]]:  # fmt: skip
        """Register a message once; return (duplicate?, placer -> filler numbers)."""
        with self.lock:
            self.receipts[control_id] += 1
            if control_id in self.answers:
                self.duplicates += 1
                return True, self.answers[control_id][1]
            order = self.orders.get(order_number)
            fillers: dict[str, str] = {}
            for t in tests:
                if order is None:
                    order = LabOrder(order_number, patient_doc, patient_name)
                    self.orders[order_number] = order
                control, placer = t["control"], t["placer"]
                if control == "NW":
                    if placer not in order.tests:
                        order.tests[placer] = {**t, "filler": f"LC-{next(self._filler)}"}
                elif control == "CA":
                    if placer in order.tests:
                        order.tests[placer]["control"] = "CA"
                elif placer in order.tests:
                    order.tests[placer].update({k: v for k, v in t.items() if k != "control"})
                if placer in order.tests:
                    fillers[placer] = order.tests[placer]["filler"]
            if order is not None:
                order.patient_doc, order.patient_name = patient_doc, patient_name  # latest wins
                if tests and all(t["control"] == "NW" for t in tests):
                    self.applied_new[order_number] += 1
                if order.tests and all(t["control"] == "CA" for t in order.tests.values()):
                    order.cancelled = True
            self.answers[control_id] = ("AA", fillers)
            return False, fillers

    def handle_hl7(self, text: str) -> tuple[str, str, str | None]:
        """(ack code, acked control id, order number to send results for)."""
        try:
            msg = hl7.parse(text.strip("\r\n"))
            msh = msg.segment("MSH")
        except Exception:  # noqa: BLE001 - the stand-in NAKs anything unreadable
            return "AR", "", None
        control_id = f(msh, 10)
        kind = f"{f(msh, 9, 1)}^{f(msh, 9, 2)}"
        if kind not in {"OML^O21", "ORM^O01"}:
            return "AR", control_id, None
        pid = msg.segment("PID")
        doc = f(pid, 3)
        name = f"{f(pid, 5, 1)}, {f(pid, 5, 2)} {f(pid, 5, 3)}".strip()
        tests: list[dict[str, str]] = []
        control, number, priority = "", "", ""
        for s in msg:
            sname = str(s[0])
            if sname == "ORC":
                control, number, priority = f(s, 1), f(s, 4), ""
            elif sname == "TQ1":  # 2.5.1: the priority comes before its OBR
                priority = f(s, 9)
            elif sname == "OBR":
                tests.append(
                    {
                        "control": control,
                        "placer": f(s, 2),
                        "code": f(s, 4, 1),
                        "name": f(s, 4, 2),
                        "priority": priority or f(s, 27, 6) or "R",
                        "physician_cmp": f(s, 16, 1),
                        "physician_name": f(s, 16, 2),
                        "loinc": f(s, 4, 4) if f(s, 4, 6) == "LN" else (
                            f(s, 4, 1) if f(s, 4, 3) == "LN" else ""
                        ),
                    }
                )  # fmt: skip
        if not tests or not control_id:
            return "AE", control_id, None
        dup, _ = self.apply(control_id, number, doc, name, tests)
        new = not dup and all(t["control"] in {"NW", "XO"} for t in tests)
        return "AA", control_id, number if new else None

    # ----------------------------------------------------------------- results out
    def build_oru(self, number: str, status: str = "F") -> str | None:
        with self.lock:
            order = self.orders.get(number)
            if order is None:
                return None
            live = [t for t in order.tests.values() if t["control"] != "CA"]
            if not live:
                return None
            order.results_sent += 1
            control_id = f"LIS-{next(self._msg):06d}"
            now = ts()
            segs = [
                seg("MSH", {3: APP, 4: "LABCENTRAL", 5: "LABRED", 7: now,
                            9: ["ORU", "R01", "ORU_R01"], 10: control_id, 11: "P",
                            12: "2.5.1", 15: "AL", 16: "NE", 17: "PER",
                            18: "UNICODE UTF-8"}),
                seg("PID", {1: "1", 3: [order.patient_doc, "", "", "RENIEC", "NNPER"]}),
            ]  # fmt: skip
            for i, t in enumerate(live, start=1):
                vtype, value, units, rng_text, flag = make_value(t["code"], t["loinc"], self.rng)
                segs.append(seg("ORC", {1: "RE", 2: [t["placer"], "LABRED"],
                                        3: [t["filler"], APP], 4: [number, "LABRED"],
                                        5: "CM" if status != "P" else "IP"}))  # fmt: skip
                obr = {1: str(i), 2: [t["placer"], "LABRED"], 3: [t["filler"], APP],
                       4: [t["code"], t["name"], "L"], 22: now, 25: status}  # fmt: skip
                segs.append(seg("OBR", obr))  # type: ignore[arg-type]
                obx = {1: "1", 2: vtype, 3: [t["code"], t["name"], "L"], 5: value,
                       6: [units, "", "UCUM"] if units else "", 7: rng_text, 8: flag,
                       11: status, 14: now}  # fmt: skip
                segs.append(seg("OBX", obx))  # type: ignore[arg-type]
            return "\r".join(segs)

    def send_results(self, number: str, status: str = "F") -> str:
        """Send the order's results to the configured listener; return the ACK code."""
        message = self.build_oru(number, status)
        if message is None:
            return "none"
        conf = self.config
        code = "none"
        if conf.results_mllp:
            host, _, port = conf.results_mllp.rpartition(":")
            code = mllp_send(host or "127.0.0.1", int(port), message)
        elif conf.results_webhook:
            code = webhook_send(conf.results_webhook, conf.results_token, message)
        with self.lock:
            self.results_log.append({"order": number, "status": status, "ack": code})
        return code

    def schedule_results(self, number: str) -> None:
        conf = self.config
        if not conf.auto_results or not (conf.results_mllp or conf.results_webhook):
            return
        if self.rng.random() >= conf.result_ratio:
            return

        def run() -> None:
            for _ in range(5):
                if self.send_results(number, "F") == "AA":
                    return
                time.sleep(min(10.0, max(0.2, conf.result_delay)))

        timer = threading.Timer(conf.result_delay, run)
        timer.daemon = True
        timer.start()


def mllp_send(host: str, port: int, message: str, timeout: float = 10.0) -> str:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(SB + message.encode() + EB)
            buf = b""
            while EB not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    return "closed"
                buf += chunk
        ack = hl7.parse(buf.strip(SB + EB).decode())
        return f(ack.segment("MSA"), 1)
    except Exception as exc:  # noqa: BLE001 - reported in the results log
        return f"error:{type(exc).__name__}"


def webhook_send(url: str, token: str, message: str) -> str:
    import httpx

    msg = hl7.parse(message)
    results = []
    for obr, obx in zip(msg.segments("OBR"), msg.segments("OBX"), strict=True):
        results.append(
            {
                "placer_number": f(obr, 2), "filler_number": f(obr, 3), "code": f(obx, 3),
                "name": f(obx, 3, 2), "value_type": f(obx, 2), "value": f(obx, 5),
                "units": f(obx, 6), "reference_range": f(obx, 7), "flag": f(obx, 8),
                "status": f(obx, 11),
            }
        )  # fmt: skip
    body = {"message_id": f(msg.segment("MSH"), 10), "results": results}
    try:
        resp = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    except httpx.HTTPError as exc:
        return f"error:{type(exc).__name__}"
    return "AA" if resp.is_success else f"HTTP{resp.status_code}"


def ack_for(code: str, control_id: str, text: str = "") -> str:
    return "\r".join(
        [
            seg(
                "MSH",
                {
                    3: APP,
                    4: "LABCENTRAL",
                    5: "LABRED",
                    7: ts(),
                    9: ["ACK", "O21", "ACK"],
                    10: f"ACK-{control_id}"[:20],
                    11: "P",
                    12: "2.5.1",
                },
            ),  # fmt: skip
            seg("MSA", {1: code, 2: control_id, 3: text}),
        ]
    )


class _Handler(socketserver.BaseRequestHandler):
    server: MllpServer

    def handle(self) -> None:
        state = self.server.state
        sock: socket.socket = self.request
        sock.settimeout(30)
        buf = b""
        while True:
            if state.faults.down:
                return
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while EB in buf:
                raw, buf = buf.split(EB, 1)
                text = raw[raw.find(SB) + 1 :].decode("utf-8", "replace")
                if state.faults.slow_ms:
                    time.sleep(state.faults.slow_ms / 1000)
                with state.lock:
                    garbage = state.faults.take("garbage")
                    nak = not garbage and state.faults.take("nak")
                if garbage:
                    sock.sendall(SB + b"\x00\xffNOT-HL7 garbage\x00" + EB)
                    continue
                if nak:
                    control_id = ""
                    try:
                        control_id = f(hl7.parse(text).segment("MSH"), 10)
                    except Exception:  # noqa: BLE001
                        pass
                    reply = ack_for(state.faults.nak_code, control_id, "sistema ocupado")
                    sock.sendall(SB + reply.encode() + EB)
                    continue
                code, control_id, number = state.handle_hl7(text)
                if number:
                    state.schedule_results(number)
                with state.lock:
                    drop = state.faults.take("drop_ack")
                if drop:
                    return  # applied, but the ACK is lost
                sock.sendall(SB + ack_for(code, control_id).encode() + EB)


class MllpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: LabState) -> None:
        self.state = state
        super().__init__(address, _Handler)
