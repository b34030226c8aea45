"""Sign-in answers do not tell which usernames exist: same message, and about the same time
(the hub skipped the password hash for an unknown or deactivated user: ~4 ms against ~130).

Both tests hash at the products' real cost (``production_hashing``): with the suite's cheap
hashes a skipped check would be too close in time to a real one to be seen."""

from __future__ import annotations

import statistics
import time

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.permissions import Role
from edge.runtime import EdgeRuntime
from tests.central.auth.factories import make_user as make_hub_user
from tests.edge.factories import make_user

PASSWORD = "clave-central-2026"


def _timed(client: TestClient, username: str, attempt: int) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    r = client.post(
        "/api/auth/login", json={"username": username, "password": f"equivocada-{attempt}"}
    )
    elapsed = time.perf_counter() - started
    assert r.status_code == 401, r.text
    return elapsed, r.json()


def _compare(client: TestClient, known: str, others: list[str]) -> None:
    """Interleaved wrong-password attempts (four per name, under the five of the throttle)."""
    times: dict[str, list[float]] = {name: [] for name in [known, *others]}
    bodies = set()
    for attempt in range(4):
        for name in times:
            elapsed, body = _timed(client, name, attempt)
            times[name].append(elapsed)
            bodies.add(repr(body))
    assert len(bodies) == 1  # one and the same answer
    reference = statistics.median(times[known])
    for name in others:
        assert statistics.median(times[name]) > 0.3 * reference, (name, times)


def test_hub_login_time_does_not_reveal_users(
    hub_client: TestClient, hub_runtime: HubRuntime, production_hashing: None
) -> None:
    make_hub_user(hub_runtime, Role.SUPERVISOR, username="real", password=PASSWORD)
    make_hub_user(hub_runtime, Role.SUPERVISOR, username="baja", password=PASSWORD, active=False)
    _compare(hub_client, "real", ["nadie", "baja"])


def test_edge_login_time_does_not_reveal_users(
    edge_client: TestClient, edge_runtime: EdgeRuntime, production_hashing: None
) -> None:
    make_user(edge_runtime, username="real", password=PASSWORD)
    _compare(edge_client, "real", ["nadie"])
