"""The MLLP listener: laboratories connect and send ORU^R01 results; each message gets an ACK.

Every message is answered and logged (``LabInboundLog``), whatever it holds:

- ``AA``: results stored (or the same message already was: a resend is acknowledged again);
- ``AE``: a readable ORU^R01 we cannot apply (unknown placer number, bad result status);
- ``AR``: not an HL7 message, not an ORU^R01, or a momentary failure on our side (retry).

Nothing a peer sends can stop the server: a bad frame, a huge frame, a dropped connection or
an exception while storing only affects that message. The asyncio server runs in the worker
(a thread with its own loop, :class:`ListenerThread`) or alone (``labred edge lab-listener``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from domain.clock import Clock
from domain.errors import InvalidInput
from domain.ids import new_id
from edge.db import unit_of_work
from edge.labsync import results
from edge.labsync.hl7_build import build_ack
from edge.labsync.hl7_parse import END_BLOCK, HL7Error, frame, header, parse, parse_oru, unframe
from edge.labsync.models import LabInboundLog

log = logging.getLogger("labred.edge.labsync.listener")

MAX_FRAME = 16 * 1024 * 1024
IDLE_TIMEOUT = 120.0


@dataclass
class InboundHandler:
    """Turns one received message into stored results and the ACK to answer."""

    engine: Engine
    clock: Clock
    files_dir: Path
    consent: results.ConsentCheck | None = None
    facility: str = "LABRED"

    def handle(self, text: str, *, peer: str = "", channel: str = "mllp") -> str:
        control_id, version, trigger, app, fac = "", "2.5.1", "", "", ""
        try:
            msg = parse(text)
            head = header(msg)
            control_id, version, trigger = head.control_id, head.version, head.trigger
            app, fac = head.sending_app, head.sending_facility
            oru = parse_oru(text)
        except HL7Error as exc:
            return self._answer("AR", str(exc), text, peer, channel, control_id, version,
                                trigger, app, fac)  # fmt: skip
        try:
            with unit_of_work(self.engine) as session:
                report = results.ingest(
                    session=session,
                    groups=oru.groups,
                    message_control_id=control_id,
                    clock=self.clock,
                    files_dir=self.files_dir,
                    consent=self.consent,
                )
                session.add(
                    LabInboundLog(
                        channel=channel,
                        peer=peer,
                        control_id=control_id[:40],
                        message_type=oru.header.message_type,
                        ack_code="AA",
                        error="duplicado" if report.duplicate else None,
                        results=report.results,
                        raw=text[:20000],
                        received_at=self.clock.now(),
                    )
                )
        except InvalidInput as exc:
            return self._answer("AE", exc.msg, text, peer, channel, control_id, version,
                                trigger, app, fac)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - any failure is a NAK, never a crash
            log.exception("storing lab results failed")
            return self._answer("AR", f"error interno: {type(exc).__name__}", text, peer,
                                channel, control_id, version, trigger, app, fac)  # fmt: skip
        return build_ack(
            ack_code="AA", acked_control_id=control_id, control_id=f"ACK{new_id()[-16:]}",
            version=version, trigger=trigger, sending_facility=self.facility,
            receiving_app=app, receiving_facility=fac, now=self.clock.now(),
        )  # fmt: skip

    def _answer(
        self, code: str, error: str, text: str, peer: str, channel: str, control_id: str,
        version: str, trigger: str, app: str, fac: str,
    ) -> str:  # fmt: skip
        try:
            with unit_of_work(self.engine) as session:
                session.add(
                    LabInboundLog(
                        channel=channel,
                        peer=peer,
                        control_id=control_id[:40],
                        message_type=text[:200].split("|")[8][:20] if text.count("|") > 8 else "",
                        ack_code=code,
                        error=error[:1000],
                        raw=text[:20000],
                        received_at=self.clock.now(),
                    )
                )
        except Exception:  # noqa: BLE001 - logging must not stop the answer
            log.exception("could not log an inbound lab message")
        log.warning("lab message NAKed (%s): %s", code, error)
        return build_ack(
            ack_code=code, acked_control_id=control_id, control_id=f"ACK{new_id()[-16:]}",
            version=version if version in {"2.3.1", "2.5.1"} else "2.5.1", trigger=trigger,
            sending_facility=self.facility, receiving_app=app, receiving_facility=fac,
            now=self.clock.now(), text=error,
        )  # fmt: skip


async def _serve_client(
    handler: Callable[[str, str], str], reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:  # fmt: skip
    peer = writer.get_extra_info("peername")
    peer_s = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
    try:
        while True:
            try:
                data = await asyncio.wait_for(reader.readuntil(END_BLOCK), IDLE_TIMEOUT)
            except asyncio.LimitOverrunError:
                answer = handler("", peer_s)  # answers AR for the oversized frame
                writer.write(frame(answer))
                await writer.drain()
                break
            except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                break
            text = unframe(data)
            start = text.rfind("\x0b")
            if start >= 0:  # bytes before the start block are noise
                text = text[start + 1 :]
            answer = await asyncio.to_thread(handler, text, peer_s)
            writer.write(frame(answer))
            await writer.drain()
    except Exception:  # noqa: BLE001 - one connection's failure never stops the server
        log.exception("lab MLLP connection failed")
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except Exception:  # noqa: BLE001
            pass


async def start_server(handler: InboundHandler, host: str, port: int) -> asyncio.Server:
    def call(text: str, peer: str) -> str:
        return handler.handle(text, peer=peer)

    return await asyncio.start_server(
        lambda r, w: _serve_client(call, r, w), host, port, limit=MAX_FRAME
    )


class ListenerThread:
    """The listener on its own event loop in a daemon thread (worker and tests)."""

    def __init__(self, handler: InboundHandler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler, self.host, self.port = handler, host, port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lab-mllp-listener", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                start_server(self.handler, self.host, self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> ListenerThread:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._server is not None:

            async def _close() -> None:
                assert self._server is not None
                self._server.close()
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in tasks:  # open client connections
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await self._server.wait_closed()

            fut = asyncio.run_coroutine_threadsafe(_close(), self._loop)
            try:
                fut.result(5)
            except Exception:  # noqa: BLE001
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def serve_forever(handler: InboundHandler, host: str, port: int) -> None:
    """Run the listener in the foreground until interrupted (``labred edge lab-listener``)."""

    async def main() -> None:
        server = await start_server(handler, host, port)
        log.info("lab MLLP listener on %s:%s", host, port)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
