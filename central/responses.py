"""OpenAPI documentation of the hub's error responses (the one ``{"detail": [...]}`` shape)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    type: str = Field(description="código estable (inglés)", examples=["not_found"])
    msg: str = Field(description="mensaje en español", examples=["No encontrado."])
    loc: list[str | int] = Field(default_factory=list, examples=[["body", "code"]])


class ErrorBody(BaseModel):
    detail: list[ErrorItem]


_DESCRIPTIONS = {
    401: "No autenticado o sesión expirada",
    403: "Su rol no permite esta acción",
    404: "No encontrado",
    409: "Conflicto (duplicado o estado incompatible)",
    422: "Datos inválidos",
    429: "Demasiados intentos",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an endpoint: 401, 403 and 422 always, plus ``codes``."""
    wanted = sorted({401, 403, 422, *codes})
    return {c: {"model": ErrorBody, "description": _DESCRIPTIONS[c]} for c in wanted}


def public_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an endpoint without sign-in: 422 plus ``codes``."""
    return {c: {"model": ErrorBody, "description": _DESCRIPTIONS[c]} for c in sorted({422, *codes})}
