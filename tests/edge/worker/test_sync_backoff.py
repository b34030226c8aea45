"""The sync jobs share one backoff: when ``sync.push`` and ``sync.pull`` tick together (both every
second with ``job_intervals``) and the hub is down, the round waiting for the lock does not try
again the moment the first one failed, so one outage counts one failure, not two (two doubled the
backoff: after a hub restart a sede waited up to 16 s instead of 4 s)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from domain.errors import LabError
from edge.runtime import EdgeRuntime
from edge.sync import service, worker


def test_push_and_pull_ticking_together_on_a_down_hub_count_one_failure(
    edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Client:
        disk_probe: Any = None

    creds = {"hub_url": "http://hub", "node_id": "n1", "epoch": 1, "secret": "s"}
    monkeypatch.setattr(worker, "load_credentials", lambda data_dir: creds)
    monkeypatch.setattr(worker, "make_client", lambda url, creds, **kw: Client())
    monkeypatch.setattr(service, "backlog", lambda engine: 1)
    monkeypatch.setattr(service, "record_failure", lambda engine, exc, clock: None)
    tries: list[str] = []
    both_in = threading.Barrier(2, timeout=10)

    def hub_down(*args: Any, **kwargs: Any) -> None:
        tries.append(threading.current_thread().name)
        time.sleep(0.3)  # the other round is waiting for the lock meanwhile
        raise LabError("La central no está disponible.", code="hub_unavailable")

    monkeypatch.setattr(service, "push_pending", hub_down)

    def tick(job: Any) -> None:
        both_in.wait()  # the same tick: both pass the backoff check before either fails
        job(edge_runtime)

    rounds = [
        threading.Thread(target=tick, args=(job,), name=name)
        for name, job in (("push", worker.push_job), ("pull", worker.pull_job))
    ]
    for t in rounds:
        t.start()
    for t in rounds:
        t.join(timeout=10)
    loop = worker._LOOPS.pop(id(edge_runtime))
    assert len(tries) == 1, tries  # the second round saw the first one's backoff
    assert loop.failures == 1
    assert loop.next_attempt - time.monotonic() <= 2.0  # backoff_seconds(1): 1-2 s, not 2-4
