"""Dependencies of the sync endpoints: node credentials and the admin permission.

Nodes authenticate with their own credentials, separate from users: HTTP Basic with the node
id as user name and the secret issued at enrolment. Registry and conflict endpoints are for hub
admins (``sync.manage``): the dependency is ``central.auth.deps.require("sync.manage")`` when the
hub's auth package is present; until then a bearer JWT signed with the hub's secret whose role
has the permission is accepted (same claims as the edge's tokens).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.sync.models import Node
from central.sync.nodes import authenticate
from domain.errors import Forbidden, Unauthorized
from domain.permissions import Role, check_permission

_basic = HTTPBasic(auto_error=False, description="Credenciales del nodo (id y secreto)")
_bearer = HTTPBearer(auto_error=False, description="Token de acceso de un administrador")


def get_runtime(request: Request) -> HubRuntime:
    rt: HubRuntime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[HubRuntime, Depends(get_runtime)]


def current_node(
    rt: RuntimeDep, credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]
) -> Node:
    """The authenticated node (a detached copy); 401 without credentials, 403 when revoked."""
    if credentials is None:
        raise Unauthorized("Se requieren las credenciales del nodo.", code="node_not_authenticated")
    with unit_of_work(rt.engine) as session:
        return authenticate(
            session=session, node_id=credentials.username, secret=credentials.password
        )


NodeDep = Annotated[Node, Depends(current_node)]


def _fallback_admin(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise Unauthorized("Debe iniciar sesión.", code="not_authenticated")
    try:
        claims = jwt.decode(
            credentials.credentials,
            rt.settings.jwt_secret,
            algorithms=["HS256"],
            options={"verify_aud": False},
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, KeyError, ValueError):
        raise Unauthorized("Credenciales inválidas.", code="token_invalid") from None
    check_permission(role, "sync.manage")
    return str(claims.get("usr") or claims.get("sub") or "admin")


def _resolve() -> Callable[..., Any]:
    try:
        module = importlib.import_module("central.auth.deps")
        return module.require("sync.manage")  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return _fallback_admin


require_sync_manage: Callable[..., Any] = _resolve()


def actor_name(principal: Any) -> str:
    """A readable name of whoever the admin dependency returned."""
    if isinstance(principal, str):
        return principal
    return str(getattr(principal, "username", None) or getattr(principal, "user_id", "admin"))


AdminDep = Annotated[Any, Depends(require_sync_manage)]

__all__ = ["AdminDep", "Forbidden", "NodeDep", "RuntimeDep", "actor_name", "current_node"]
