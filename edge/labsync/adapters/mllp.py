"""HL7 v2 over MLLP: one TCP connection per message, explicit timeouts, ACK handling.

``AA`` accepts the message. ``AR`` (rejected: the receiver could not take it now) is retried
with backoff; ``AE`` (application error: the content is wrong) stops the job for a person to
look at. A resend is the job's frozen message, so it keeps MSH-10 and the placer numbers and
the receiver can drop the duplicate. An ACK whose MSA-2 is not our MSH-10 is not trusted.
"""

from __future__ import annotations

import socket
import time

from edge.labsync.adapters import Outbound, Outcome
from edge.labsync.hl7_parse import END_BLOCK, HL7Error, frame, parse_ack, unframe

MAX_ACK_BYTES = 1_000_000


class MllpError(OSError):
    """The connection failed, timed out or closed before a whole frame arrived."""


def exchange(host: str, port: int, message: str, *, timeout: float) -> str:
    """Send one framed message and return the framed answer's text."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(frame(message))
            buf = bytearray()
            while END_BLOCK not in buf:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise MllpError("tiempo de espera agotado esperando el ACK")
                sock.settimeout(remaining)
                chunk = sock.recv(65536)
                if not chunk:
                    raise MllpError("el laboratorio cerró la conexión sin responder")
                buf.extend(chunk)
                if len(buf) > MAX_ACK_BYTES:
                    raise MllpError("respuesta demasiado grande")
    except TimeoutError as exc:
        raise MllpError("tiempo de espera agotado esperando el ACK") from exc
    except MllpError:
        raise
    except OSError as exc:
        raise MllpError(f"sin conexión con el laboratorio: {exc}") from exc
    end = buf.index(END_BLOCK) + len(END_BLOCK)
    return unframe(bytes(buf[:end]))


class MllpAdapter:
    protocol = "mllp"

    def __init__(self, host: str, port: int, *, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout

    def send(self, message: Outbound) -> Outcome:
        try:
            answer = exchange(self.host, self.port, message.body, timeout=self.timeout)
        except MllpError as exc:
            return Outcome("error", detail=str(exc), transport_failure=True)
        try:
            ack = parse_ack(answer)
        except HL7Error as exc:
            return Outcome("error", detail=f"respuesta ilegible: {exc}", transport_failure=True)
        if ack.control_id != message.control_id:
            return Outcome(
                "error",
                ack_code=ack.code,
                detail=f"el ACK responde a {ack.control_id!r}, no a {message.control_id!r}",
                transport_failure=True,
            )
        if ack.code == "AA":
            return Outcome("accepted", ack_code="AA", detail=ack.text)
        if ack.code == "AE":
            return Outcome("rejected", ack_code="AE", detail=ack.text or "error de aplicación")
        return Outcome("error", ack_code="AR", detail=ack.text or "mensaje rechazado (AR)")
