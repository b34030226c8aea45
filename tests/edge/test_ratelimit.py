"""Rate limiting of the edge API: per user (or per IP), 429 ``rate_limited`` + Retry-After."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from domain.permissions import Role
from edge.app import create_app
from edge.ratelimit import SlidingWindowLimiter
from edge.runtime import EdgeRuntime
from tests.edge.factories import auth_headers


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_sliding_window_allows_limit_per_window_exactly() -> None:
    now = FakeTime()
    limiter = SlidingWindowLimiter(3, window=60, now=now)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == 60
    assert limiter.hit("b") is None  # another client has its own window
    now.t += 20
    assert limiter.hit("a") == 40  # refused requests do not count
    now.t += 39.5
    assert limiter.hit("a") == 1  # rounded up, never 0
    now.t += 0.5
    assert limiter.hit("a") is None  # the first hit left the window
    assert limiter.hit("a") is None and limiter.hit("a") is None
    assert limiter.hit("a") == 60


def test_idle_clients_are_forgotten() -> None:
    now = FakeTime()
    limiter = SlidingWindowLimiter(5, window=60, now=now)
    for i in range(100):
        limiter.hit(f"ip:{i}")
    assert len(limiter) == 100
    now.t += 61
    limiter.hit("otro")
    assert len(limiter) == 1


def test_limiter_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0)


@pytest.fixture
def limited(edge_runtime: EdgeRuntime) -> Iterator[TestClient]:
    settings = edge_runtime.settings.model_copy(update={"rate_limit_per_minute": 3})
    with TestClient(create_app(settings, runtime=edge_runtime)) as client:
        yield client


def test_429_with_retry_after_per_user(limited: TestClient, edge_runtime: EdgeRuntime) -> None:
    ana = auth_headers(edge_runtime, Role.RECEPCIONISTA)
    beto = auth_headers(edge_runtime, Role.RECEPCIONISTA)
    assert [limited.get("/api/auth/me", headers=ana).status_code for _ in range(3)] == [200] * 3
    r = limited.get("/api/auth/me", headers=ana)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) in range(1, 61)
    assert r.json() == {
        "detail": [
            {
                "type": "rate_limited",
                "msg": f"Demasiadas solicitudes; espere {r.headers['Retry-After']} s e intente "
                "de nuevo.",
                "loc": [],
                "ctx": {"retry_after": int(r.headers["Retry-After"])},
            }
        ]
    }
    assert r.headers["x-content-type-options"] == "nosniff"  # still gets security headers
    assert limited.get("/api/auth/me", headers=beto).status_code == 200


def test_health_and_ready_are_exempt(limited: TestClient) -> None:
    codes = [limited.get(p).status_code for p in ["/health", "/ready"] * 5]
    assert codes == [200] * 10


def test_anonymous_requests_count_by_ip(limited: TestClient, edge_runtime: EdgeRuntime) -> None:
    codes = [limited.get("/api/auth/me").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # a forged token does not buy a fresh bucket: it counts against the IP
    forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.firma-falsa"}
    assert limited.get("/api/auth/me", headers=forged).status_code == 429
    # a signed-in user on the same PC is counted on their own
    me = limited.get("/api/auth/me", headers=auth_headers(edge_runtime, Role.ADMIN))
    assert me.status_code == 200


def test_cookie_sessions_are_counted_by_user(
    limited: TestClient, edge_runtime: EdgeRuntime
) -> None:
    token = auth_headers(edge_runtime, Role.ADMIN)["Authorization"].split()[1]
    limited.cookies.set("labred_access", token)
    assert [limited.get("/api/auth/me").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited.cookies.clear()
    assert limited.get("/api/auth/me").status_code == 401  # the IP bucket is still fresh


def test_default_limit_is_the_setting(edge_client: TestClient) -> None:
    limiter = edge_client.app.state.rate_limiter  # type: ignore[attr-defined]
    assert limiter.limit == 100 and limiter.window == 60
