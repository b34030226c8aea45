"""Worker jobs of the laboratory integration (registered with ``edge.worker.job``).

- ``lab.send`` every 2 s: one round of due jobs (backoff and circuit breakers live in the
  process's :class:`~edge.labsync.dispatch.Dispatcher`).
- ``lab.listener`` every 5 s: keeps the MLLP results listener running in this process when
  this machine's ``lab_listener`` (edge.toml / ``LABRED_EDGE_LAB_LISTENER``, ``"0.0.0.0:2575"``)
  or the hub's per-sede setting ``lab.sede.<sede id>`` names one (edge.toml wins: the port is a
  property of the machine); the listener can also run alone with ``labred edge lab-listener``.
"""

from __future__ import annotations

import logging
from typing import Any

from edge.db import read_session
from edge.labsync import results, service
from edge.labsync.listener import InboundHandler, ListenerThread
from edge.labsync.queue import sede_lab_setting
from edge.runtime import EdgeRuntime
from edge.worker import job

log = logging.getLogger("labred.edge.labsync")

_listeners: dict[str, ListenerThread] = {}


@job("lab.send", seconds=2)
def send_round(rt: EdgeRuntime) -> dict[str, int]:
    counts = service.dispatcher(rt).send_due()
    if counts["sent"]:
        log.info("lab send round", extra=counts)
    return counts


def make_handler(rt: EdgeRuntime) -> InboundHandler:
    return InboundHandler(
        engine=rt.engine,
        clock=rt.clock,
        files_dir=service.results_dir(rt),
        consent=results.default_consent(),
    )


def listener_setting(rt: EdgeRuntime) -> dict[str, Any] | None:
    """Where to hear results: ``{"host", "port"}`` of this machine's ``lab_listener``
    (edge.toml / environment), else of the hub's per-sede setting ``lab.sede.<sede id>``
    ("listener"), else None (no listener)."""
    local = rt.settings.lab_listener_address
    if local is not None:
        return {"host": local[0], "port": local[1]}
    sede_id = rt.sede_id
    if not sede_id:
        return None
    with read_session(rt.engine) as session:
        conf = sede_lab_setting(session, sede_id)
    value = conf.get("listener") if conf is not None else None
    return value if isinstance(value, dict) and value.get("port") else None


@job("lab.listener", seconds=5)
def ensure_listener(rt: EdgeRuntime) -> bool:
    conf = listener_setting(rt)
    current = _listeners.get(str(rt.settings.db_path))
    if conf is None:
        return False
    if current is not None and current.alive:
        if current.port == int(conf["port"]):
            return True
        current.stop()  # the hub moved the listener to another port
    listener = ListenerThread(
        make_handler(rt), host=str(conf.get("host", "0.0.0.0")), port=int(conf["port"])
    )
    listener.start()
    _listeners[str(rt.settings.db_path)] = listener
    log.info("lab MLLP listener started on port %s", listener.port)
    return True
