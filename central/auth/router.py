"""``/api/auth``: sign-in, token refresh, logout, the signed-in user, forgotten passwords."""

from __future__ import annotations

from fastapi import APIRouter, Request

from central.auth import service
from central.auth.deps import CurrentUser, RuntimeDep, client_ip
from central.auth.models import HubUser
from central.auth.schemas import (
    ForgotPasswordRequest,
    LoginRequest,
    Me,
    Message,
    RefreshRequest,
    ResetPasswordRequest,
    TokenPair,
)
from central.auth.users import get_user
from central.db import unit_of_work
from central.mail import MailerDep
from central.responses import errors, public_errors
from domain.errors import LabError
from domain.permissions import MATRIX, PERMISSIONS, ROLE_LABELS, Role

router = APIRouter(prefix="/api/auth", tags=["autenticación"])


def me_of(user: HubUser) -> Me:
    role = Role(user.role)
    return Me(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        role=role,
        role_label=ROLE_LABELS[role],
        sede_ids=list(user.sede_ids),
        permissions=[p for p in PERMISSIONS if p in MATRIX[role]],
    )


def _pair(signed: service.SignIn) -> TokenPair:
    return TokenPair(
        access_token=signed.access_token,
        refresh_token=signed.refresh_token,
        expires_in=signed.expires_in,
        user=me_of(signed.user),
    )


@router.post(
    "/login",
    response_model=TokenPair,
    summary="Iniciar sesión (5 intentos fallidos bloquean 15 minutos)",
    responses=public_errors(401, 429),
)
def login(body: LoginRequest, request: Request, rt: RuntimeDep) -> TokenPair:
    with unit_of_work(rt.engine) as session:
        result = service.login(
            session=session,
            clock=rt.clock,
            secret=rt.settings.jwt_secret,
            username=body.username,
            password=body.password,
            ip=client_ip(request),
        )
        if not isinstance(result, LabError):
            pair = _pair(result)
    if isinstance(result, LabError):
        raise result  # after the commit: the failure is counted and audited
    return pair


@router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Renovar el token de acceso (el token de renovación rota)",
    responses=public_errors(401),
)
def refresh(body: RefreshRequest, request: Request, rt: RuntimeDep) -> TokenPair:
    with unit_of_work(rt.engine) as session:
        result = service.refresh(
            session=session,
            clock=rt.clock,
            secret=rt.settings.jwt_secret,
            refresh_token=body.refresh_token,
            ip=client_ip(request),
        )
        if not isinstance(result, LabError):
            pair = _pair(result)
    if isinstance(result, LabError):
        raise result
    return pair


@router.post(
    "/logout",
    response_model=Message,
    summary="Cerrar sesión (revoca el token de renovación)",
    responses=public_errors(),
)
def logout(body: RefreshRequest, rt: RuntimeDep) -> Message:
    with unit_of_work(rt.engine) as session:
        service.logout(session=session, clock=rt.clock, refresh_token=body.refresh_token)
    return Message(message="Sesión cerrada.")


@router.get(
    "/me", response_model=Me, summary="El usuario que inició sesión", responses={401: errors()[401]}
)
def me(user: CurrentUser, rt: RuntimeDep) -> Me:
    with unit_of_work(rt.engine) as session:
        return me_of(get_user(session=session, user_id=user.user_id))


@router.post(
    "/forgot-password",
    response_model=Message,
    status_code=202,
    summary="Enviar por correo un código para restablecer la contraseña",
    responses=public_errors(),
)
def forgot_password(
    body: ForgotPasswordRequest, request: Request, rt: RuntimeDep, mailer: MailerDep
) -> Message:
    with unit_of_work(rt.engine) as session:
        service.forgot_password(
            session=session, clock=rt.clock, mailer=mailer, email=body.email, ip=client_ip(request)
        )
    return Message(message=service.FORGOT_MESSAGE)


@router.post(
    "/reset-password",
    response_model=Message,
    summary="Restablecer la contraseña con el código recibido",
    responses=public_errors(),
)
def reset_password(body: ResetPasswordRequest, request: Request, rt: RuntimeDep) -> Message:
    with unit_of_work(rt.engine) as session:
        service.reset_password(
            session=session,
            clock=rt.clock,
            token=body.token,
            new_password=body.new_password,
            ip=client_ip(request),
        )
    return Message(message="Contraseña actualizada; inicie sesión con la nueva contraseña.")
