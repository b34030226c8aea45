"""``/api/users`` and ``/api/roles``: user administration and the permission matrix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from central.auth import users
from central.auth.deps import RuntimeDep, client_ip, require
from central.auth.schemas import (
    AdminPasswordReset,
    Message,
    PermissionRead,
    RoleList,
    RoleRead,
    UserCreate,
    UserList,
    UserRead,
    UserUpdate,
)
from central.auth.tokens import Principal
from central.db import unit_of_work
from central.responses import errors
from domain.permissions import MATRIX, PERMISSIONS, ROLE_LABELS, Role

router = APIRouter(tags=["usuarios"])
Manager = Annotated[Principal, Depends(require("user.manage"))]
UserId = Annotated[str, Path(max_length=36, description="id del usuario")]


@router.get("/api/users", response_model=UserList, summary="Usuarios", responses=errors())
def list_users(
    rt: RuntimeDep,
    _user: Manager,
    q: Annotated[str | None, Query(max_length=60, description="usuario, nombre o correo")] = None,
    role: Annotated[Role | None, Query()] = None,
    sede_id: Annotated[str | None, Query(max_length=36)] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> UserList:
    with unit_of_work(rt.engine) as session:
        rows, total = users.list_users(
            session=session,
            q=q,
            role=role,
            sede_id=sede_id,
            active=active,
            limit=limit,
            offset=offset,
        )
        return UserList(items=[UserRead.model_validate(u) for u in rows], total=total)


@router.post(
    "/api/users",
    response_model=UserRead,
    status_code=201,
    summary="Registrar un usuario",
    responses=errors(409),
)
def create_user(body: UserCreate, request: Request, rt: RuntimeDep, user: Manager) -> UserRead:
    with unit_of_work(rt.engine) as session:
        created = users.create_user(
            session=session, clock=rt.clock, actor=user, ip=client_ip(request), data=body
        )
        return UserRead.model_validate(created)


@router.get(
    "/api/users/{user_id}", response_model=UserRead, summary="Un usuario", responses=errors(404)
)
def get_user(user_id: UserId, rt: RuntimeDep, _user: Manager) -> UserRead:
    with unit_of_work(rt.engine) as session:
        return UserRead.model_validate(users.get_user(session=session, user_id=user_id))


@router.put(
    "/api/users/{user_id}",
    response_model=UserRead,
    summary="Modificar un usuario (rol, sedes, datos, activo)",
    responses=errors(404, 409),
)
def update_user(
    user_id: UserId, body: UserUpdate, request: Request, rt: RuntimeDep, user: Manager
) -> UserRead:
    with unit_of_work(rt.engine) as session:
        updated = users.update_user(
            session=session,
            clock=rt.clock,
            actor=user,
            ip=client_ip(request),
            user_id=user_id,
            data=body,
        )
        return UserRead.model_validate(updated)


@router.delete(
    "/api/users/{user_id}",
    response_model=UserRead,
    summary="Desactivar un usuario (su auditoría se conserva)",
    responses=errors(404, 409),
)
def deactivate_user(user_id: UserId, request: Request, rt: RuntimeDep, user: Manager) -> UserRead:
    with unit_of_work(rt.engine) as session:
        updated = users.deactivate_user(
            session=session, clock=rt.clock, actor=user, ip=client_ip(request), user_id=user_id
        )
        return UserRead.model_validate(updated)


@router.post(
    "/api/users/{user_id}/reset-password",
    response_model=Message,
    summary="Asignar una nueva contraseña a un usuario",
    responses=errors(404),
)
def reset_password(
    user_id: UserId, body: AdminPasswordReset, request: Request, rt: RuntimeDep, user: Manager
) -> Message:
    with unit_of_work(rt.engine) as session:
        users.admin_reset_password(
            session=session,
            clock=rt.clock,
            actor=user,
            ip=client_ip(request),
            user_id=user_id,
            new_password=body.new_password,
        )
    return Message(message="Contraseña actualizada; las sesiones abiertas del usuario se cerraron.")


@router.get(
    "/api/roles", response_model=RoleList, summary="Roles y sus permisos", responses=errors()
)
def list_roles(_user: Manager) -> RoleList:
    return RoleList(
        roles=[
            RoleRead(
                role=role,
                label=ROLE_LABELS[role],
                permissions=[p for p in PERMISSIONS if p in MATRIX[role]],
            )
            for role in Role
        ],
        permissions=[PermissionRead(name=k, description=v) for k, v in PERMISSIONS.items()],
    )
