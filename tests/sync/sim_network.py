"""The simulation's fakes of the world: its time (one shared instant, a skewed clock per node)
and its network (an httpx transport to the in-process hub app that drops requests, drops
responses after the hub committed, duplicates, and stashes requests to re-deliver them late),
with the fault rates that drive it (and the rates of hub and edge crashes)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient

BASE_TIME = dt.datetime(2026, 11, 29, 13, 0, tzinfo=dt.UTC)
MAX_SKEW = dt.timedelta(minutes=10)


class SimClock:
    def __init__(self, world: World, offset: dt.timedelta) -> None:
        self.world, self.offset = world, offset

    def now(self) -> dt.datetime:
        return self.world.time + self.offset


class World:
    def __init__(self) -> None:
        self.time = BASE_TIME


@dataclass
class Faults:
    drop_request: float = 0.08
    drop_response: float = 0.08
    duplicate: float = 0.05
    stash: float = 0.10
    hub_crash: float = 0.05
    edge_crash: float = 0.04
    crash_points: tuple[str, ...] | None = None  # None: every named point may crash

    @classmethod
    def none(cls) -> Faults:
        return cls(0, 0, 0, 0, 0, 0)


class SimTransport(httpx.BaseTransport):
    """Routes an edge's requests to the hub app through the faulty network."""

    def __init__(self, net: SimNetwork, name: str) -> None:
        self.net, self.name = net, name

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.net.send(self.name, request)


class SimNetwork:
    def __init__(self, hub: TestClient, rng: random.Random, faults_: Faults) -> None:
        self.hub, self.rng, self.faults = hub, rng, faults_
        self.inner: httpx.BaseTransport = hub._transport
        self.stash: list[tuple[str, httpx.Request]] = []
        self.partitioned: set[str] = set()
        self.stats: Counter[str] = Counter()

    def _deliver(self, request: httpx.Request) -> httpx.Response:
        copy = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.content
        )
        resp = self.inner.handle_request(copy)
        resp.read()
        return resp

    def send(self, name: str, request: httpx.Request) -> httpx.Response:
        request.read()
        f, r = self.faults, self.rng.random
        if name in self.partitioned:
            self.stats["partitioned"] += 1
            raise httpx.ConnectError("partitioned", request=request)
        if r() < f.stash:
            self.stash.append((name, request))
            self.stats["stashed"] += 1
            if r() < 0.5:
                raise httpx.ReadTimeout("delayed", request=request)
        if r() < f.drop_request:
            self.stats["drop_request"] += 1
            raise httpx.ConnectError("dropped", request=request)
        resp = self._deliver(request)
        if r() < f.duplicate:
            self.stats["duplicate"] += 1
            self._deliver(request)
        if r() < f.drop_response:
            self.stats["drop_response"] += 1
            raise httpx.ReadTimeout("response lost", request=request)
        return resp

    def deliver_stale(self) -> None:
        if not self.stash:
            return
        _, request = self.stash.pop(self.rng.randrange(len(self.stash)))
        self.stats["stale_delivered"] += 1
        self._deliver(request)
