"""What can go wrong talking to a node: the answer's error, a node out of reach, and the end
of the signed-in session (re-exported by ``tui.api``, where they are raised)."""

from __future__ import annotations

from typing import Any

import httpx

SESSION_OVER = frozenset({"user_inactive", "sede_not_assigned"})
"""Answers to a signed-in request that end the session at once (no refresh can help)."""

_WHY: dict[str, str] = {
    "refresh_token_expired": "pasaron 7 días desde que ingresó",
    "refresh_token_revoked": "se cerró desde otro equipo o la cerró un administrador",
    "refresh_token_reused": "se usó desde otro lugar y el nodo la cerró por seguridad",
    "token_invalid": "el nodo ya no la reconoce (se reinstaló o cambió sus claves)",
    "sede_not_assigned": "su usuario ya no está asignado a esta sede",
    "not_authenticated": "el nodo la dio por terminada",
}


def session_message(reason: str) -> str:
    """The Spanish sentence shown when the node ends the session for ``reason`` (its code)."""
    if reason == "user_inactive":
        return (
            "Su sesión terminó: el usuario fue desactivado (consulte con el administrador); "
            "otro usuario puede ingresar para continuar. Lo escrito se conserva."
        )
    why = _WHY.get(reason, _WHY["not_authenticated"])
    return f"Su sesión terminó: {why}; vuelva a ingresar para continuar. Lo escrito se conserva."


class ApiError(Exception):
    """An error answered by the edge (or 0 when it could not be reached)."""

    def __init__(
        self,
        status: int,
        code: str,
        msg: str,
        loc: list[str | int] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg
        self.loc: list[str | int] = list(loc or [])
        self.extra: dict[str, Any] = dict(extra or {})
        """The error's ``ctx`` (e.g. ``patient_id`` of a duplicate document)."""
        self.others: list[ApiError] = []

    @property
    def field(self) -> str | None:
        """The form field the error is about: the last text part of ``loc`` after "body"."""
        parts = [p for p in self.loc if isinstance(p, str) and p not in ("body", "query", "path")]
        return parts[-1] if parts else None

    def all(self) -> list[ApiError]:
        """This error and the others of the same response."""
        return [self, *self.others]

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.msg!r}, {self.loc!r})"


class EdgeUnreachable(ApiError):
    """The node did not answer (connection refused, dropped or timed out)."""

    def __init__(self, detail: str = "", *, retryable: bool = True) -> None:
        msg = (
            "Sin conexión con el nodo: revise la red y que la PC del nodo esté encendida, y "
            "vuelva a intentar (lo escrito se conserva)."
        )
        if not retryable:
            msg = (
                "Se perdió la conexión con el nodo durante la operación; revise si quedó "
                "registrada antes de repetirla."
            )
        super().__init__(0, "edge_unreachable", msg, [])
        self.detail = detail
        self.retryable = retryable
        """False when the request may have reached the node (repeating it could duplicate)."""


class SessionEnded(ApiError):
    """The node ended the signed-in session: the refresh token expired, was revoked or is no
    longer known (node re-keyed or reinstalled), or the user was deactivated or taken off the
    sede. ``code`` is always ``session_expired``; ``reason`` is the node's own code.

    Nothing of the failed request took effect. Whether it may be sent again once someone signs
    in again is said by ``read_only`` (a GET, nothing changed earlier in the same action) and
    ``repeatable`` (a GET or a POST with an ``Idempotency-Key``, nothing else changed earlier).
    """

    def __init__(self, reason: str, *, session_no: int) -> None:
        super().__init__(401, "session_expired", session_message(reason))
        self.reason = reason
        self.session_no = session_no
        """Which sign-in of this terminal the session was (``EdgeApi.session_no``)."""
        self.read_only = False
        self.repeatable = False


def parse_error(response: httpx.Response) -> ApiError:
    """The ``ApiError`` of an error response (every item of ``detail`` is kept)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    items = body.get("detail") if isinstance(body, dict) else None
    if isinstance(items, str):
        items = [{"type": f"http_{response.status_code}", "msg": items, "loc": []}]
    if not isinstance(items, list) or not items:
        return ApiError(
            response.status_code,
            f"http_{response.status_code}",
            f"El nodo respondió con un error (HTTP {response.status_code}).",
        )
    errors = [
        ApiError(
            response.status_code,
            str(item.get("type", "error")),
            str(item.get("msg", "Error")),
            list(item.get("loc") or []),
            item["ctx"] if isinstance(item.get("ctx"), dict) else None,
        )
        for item in items
        if isinstance(item, dict)
    ]
    first = errors[0]
    first.others = errors[1:]
    return first
