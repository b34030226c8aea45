"""Forged and misused tokens are refused by both apps (regression tests of the attack list:
``alg: none``, another app's audience, HS256 with a guessed key, expired, no ``typ``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from domain.permissions import Role
from edge.runtime import EdgeRuntime
from tests.central.auth.factories import make_user as make_hub_user
from tests.edge.factories import make_user

# (its own audience, the other app's): the ``aud`` of each app's access tokens
EDGE_AUDS = ("labred-edge", "labred-hub")
HUB_AUDS = ("labred-hub", "labred-edge")


def _claims(user_id: str, username: str, aud: str, **extra: Any) -> dict[str, Any]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    return {
        "sub": user_id, "usr": username, "name": username, "role": "admin", "sedes": [],
        "iat": now, "exp": now + 600, "aud": aud, "typ": "access", **extra,
    }  # fmt: skip


def _forgeries(claims: dict[str, Any], secret: str, other_aud: str) -> dict[str, str]:
    guessed = "labred-" + "0" * 32
    past = int(dt.datetime.now(dt.UTC).timestamp()) - 60
    no_typ = {k: v for k, v in claims.items() if k != "typ"}
    return {
        "alg_none": jwt.encode(claims, "", algorithm="none"),
        "other_audience": jwt.encode({**claims, "aud": other_aud}, secret, algorithm="HS256"),
        "guessed_key": jwt.encode(claims, guessed, algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": past}, secret, algorithm="HS256"),
        "refresh_typ": jwt.encode({**claims, "typ": "refresh"}, secret, algorithm="HS256"),
        "no_typ": jwt.encode(no_typ, secret, algorithm="HS256"),
    }


def _assert_forgeries_refused(
    client: TestClient, user_id: str, username: str, secret: str, auds: tuple[str, str]
) -> None:
    """A well-signed token of the app's audience (``auds[0]``) passes; every forgery of it,
    one for the other app's audience (``auds[1]``) among them, is a 401."""
    claims = _claims(user_id, username, auds[0])
    good = jwt.encode(claims, secret, algorithm="HS256")
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {good}"}).is_success
    for name, token in _forgeries(claims, secret, auds[1]).items():
        r = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
        assert r.json()["detail"][0]["type"] in ("token_invalid", "token_expired"), name


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_edge_refuses_forged_tokens(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    user = make_user(edge_runtime, Role.ADMIN, username="jefe")
    secret = edge_runtime.settings.jwt_secret
    _assert_forgeries_refused(edge_client, user.id, user.username, secret, EDGE_AUDS)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_hub_refuses_forged_tokens(hub_client: TestClient, hub_runtime: HubRuntime) -> None:
    user = make_hub_user(hub_runtime, Role.ADMIN, username="jefa")
    secret = hub_runtime.settings.jwt_secret
    _assert_forgeries_refused(hub_client, user.id, user.username, secret, HUB_AUDS)
