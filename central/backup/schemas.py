"""Request and response shapes of ``/api/config/backup*`` and ``/api/config/restore``."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from central.backup.service import DEFAULT_KEEP
from central.openapi_examples import admin as ex


class BackupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"keep": 14}]})

    keep: int = Field(
        default=DEFAULT_KEEP,
        ge=1,
        le=365,
        description="cuántas copias conservar (las más antiguas se eliminan)",
    )


class BackupRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.BACKUP_READ]})

    id: str
    kind: str = Field(description="manual | scheduled | pre_restore | restore")
    status: str = Field(description="ok | failed")
    file_name: str
    size_bytes: int
    sha256: str
    duration_ms: int
    error: str | None
    pruned: int = Field(description="copias antiguas eliminadas por la retención en esta corrida")
    username: str | None = Field(description="quién la pidió; vacío si fue programada")
    on_disk: bool = Field(description="el archivo sigue en el disco de la central")
    started_at: dt.datetime
    finished_at: dt.datetime


class BackupList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.BACKUP_LIST]})

    items: list[BackupRead]
    directory: str = Field(description="carpeta de las copias en la central")
    files_on_disk: int


class RestoreRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"backup_id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "confirm": "RESTAURAR"}
            ]
        },
    )

    backup_id: str = Field(max_length=36, description="id de una copia de GET /api/config/backups")
    confirm: Literal["RESTAURAR"] = Field(
        description="escriba RESTAURAR: reemplaza todos los datos de la central por los de la copia"
    )


class RestoreRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.RESTORE_READ]})

    restored_from: BackupRead
    safety_backup: BackupRead = Field(
        description="copia tomada justo antes de restaurar (para deshacer)"
    )
    restore: BackupRead
