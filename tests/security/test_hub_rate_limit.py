"""The hub limits requests per user (and per address) and per node on sync, with 429 and
Retry-After (DESIGN.md section 6); it had the setting but no limiter at all."""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest
from fastapi.testclient import TestClient

from central.app import create_app
from central.auth.models import HubUser
from central.runtime import HubRuntime
from domain.permissions import Role
from tests.central.auth.factories import headers_for, make_user


@pytest.fixture
def strict_hub(hub_runtime: HubRuntime) -> Iterator[TestClient]:
    hub_runtime.settings = hub_runtime.settings.model_copy(
        update={"rate_limit_per_minute": 3, "node_rate_limit_per_minute": 2}
    )
    with TestClient(create_app(hub_runtime.settings, runtime=hub_runtime)) as client:
        yield client


def _forged(user: HubUser) -> dict[str, str]:
    token = jwt.encode(
        {"sub": user.id, "aud": "labred-hub", "typ": "access", "exp": 4102444800},
        "not-the-hub-secret-" + "z" * 32,
        algorithm="HS256",
    )
    return {"Authorization": f"Bearer {token}"}


def test_each_user_gets_the_per_minute_allowance(
    strict_hub: TestClient, hub_runtime: HubRuntime
) -> None:
    ana = make_user(hub_runtime, Role.SUPERVISOR, username="ana")
    luis = make_user(hub_runtime, Role.SUPERVISOR, username="luis")
    # a forged token naming Ana does not spend Ana's allowance (it counts for the address)
    assert strict_hub.get("/api/auth/me", headers=_forged(ana)).status_code == 401
    for _ in range(3):
        assert strict_hub.get("/api/auth/me", headers=headers_for(hub_runtime, ana)).is_success
    r = strict_hub.get("/api/auth/me", headers=headers_for(hub_runtime, ana))
    assert r.status_code == 429
    wait = int(r.headers["retry-after"])
    assert wait in range(1, 61)  # whole seconds, never 0, at most the window
    assert r.json() == {
        "detail": [
            {
                "type": "rate_limited",
                "msg": f"Demasiadas solicitudes; espere {wait} s e intente de nuevo.",
                "loc": [],
                "ctx": {"retry_after": wait},
            }
        ]
    }
    assert r.headers["x-content-type-options"] == "nosniff"
    assert strict_hub.get("/api/auth/me", headers=headers_for(hub_runtime, luis)).is_success
    assert strict_hub.get("/health").is_success  # probes are exempt


def test_anonymous_requests_count_per_address(strict_hub: TestClient) -> None:
    body = {"username": "nadie", "password": "x" * 10}
    codes = [strict_hub.post("/api/auth/login", json=body).status_code for _ in range(4)]
    assert codes[-1] == 429 and 429 not in codes[:2]
    # the dashboard's page shells hold no data: a sede behind one address still gets them
    assert all(strict_hub.get("/panel/ingresar").status_code == 200 for _ in range(5))


def test_each_node_gets_its_own_allowance_on_sync(strict_hub: TestClient) -> None:
    codes = [
        strict_hub.get("/api/sync/pull", auth=("nodo-a", "secreto")).status_code for _ in range(3)
    ]
    assert codes == [401, 401, 429]
    assert strict_hub.get("/api/sync/pull", auth=("nodo-b", "secreto")).status_code == 401
