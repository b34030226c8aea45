"""``/api/config/backup``, ``/api/config/backups``, ``/api/config/restore``: admin only, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from central.audit import service as audit
from central.auth.deps import RuntimeDep, client_ip, require
from central.auth.tokens import Principal
from central.backup import service
from central.backup.models import BackupLog
from central.backup.schemas import (
    BackupList,
    BackupRead,
    BackupRequest,
    RestoreRead,
    RestoreRequest,
)
from central.db import unit_of_work
from central.responses import ErrorBody, errors
from central.runtime import HubRuntime
from domain.errors import Unavailable

router = APIRouter(prefix="/api/config", tags=["copias de seguridad"])
Manager = Annotated[Principal, Depends(require("config.manage"))]


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    out = errors(*codes)
    out[503] = {"model": ErrorBody, "description": "pg_dump / pg_restore falló"}
    return out


def backup_read(log: BackupLog, directory: Path) -> BackupRead:
    return BackupRead(
        id=log.id,
        kind=log.kind,
        status=log.status,
        file_name=log.file_name,
        size_bytes=log.size_bytes,
        sha256=log.sha256,
        duration_ms=log.duration_ms,
        error=log.error,
        pruned=log.pruned,
        username=log.username,
        on_disk=bool(log.file_name) and (directory / log.file_name).exists(),
        started_at=log.started_at,
        finished_at=log.finished_at,
    )


def _directory(rt: HubRuntime) -> Path:
    return service.backup_dir(rt.settings.data_dir)


def _backup(rt: HubRuntime, user: Principal, ip: str, *, keep: int | None, kind: str) -> BackupLog:
    with unit_of_work(rt.engine) as session:
        log = service.create_backup(
            session,
            clock=rt.clock,
            url=rt.url,
            directory=_directory(rt),
            keep=keep,
            kind=kind,
            actor=user,
            embedded=rt.embedded is not None,
        )
        audit.record(
            session,
            action="backup.create",
            clock=rt.clock,
            actor=user,
            ip=ip,
            record_type="backup",
            record_id=log.id,
            details={"status": log.status, "file": log.file_name, "kind": kind},
        )
    if log.status != "ok":
        raise Unavailable(f"No se pudo hacer la copia: {log.error}", code="backup_failed")
    return log


@router.post(
    "/backup",
    response_model=BackupRead,
    status_code=201,
    summary="Hacer ahora una copia de seguridad de la base de datos de la central",
    responses=_responses(),
)
def create_backup(
    request: Request, rt: RuntimeDep, user: Manager, body: BackupRequest | None = None
) -> BackupRead:
    keep = (body or BackupRequest()).keep
    log = _backup(rt, user, client_ip(request), keep=keep, kind="manual")
    return backup_read(log, _directory(rt))


@router.get(
    "/backups",
    response_model=BackupList,
    summary="Copias de seguridad y restauraciones recientes",
    responses=errors(),
)
def list_backups(
    rt: RuntimeDep,
    _user: Manager,
    limit: Annotated[int, Query(ge=1, le=500, description="cuántas, las más recientes")] = 50,
) -> BackupList:
    directory = _directory(rt)
    with unit_of_work(rt.engine) as session:
        logs = service.list_backups(session, limit=limit)
    return BackupList(
        items=[backup_read(log, directory) for log in logs],
        directory=str(directory),
        files_on_disk=len(service.dump_files(directory)),
    )


@router.post(
    "/restore",
    response_model=RestoreRead,
    summary="Restaurar la central desde una copia (reemplaza todos los datos)",
    description="Toma antes una copia de seguridad (para deshacer), cierra las conexiones de la "
    "central y restaura la copia elegida en una sola transacción. Las sedes conservan sus "
    "propios datos y los vuelven a enviar.",
    responses=_responses(404),
)
def restore(body: RestoreRequest, request: Request, rt: RuntimeDep, user: Manager) -> RestoreRead:
    directory = _directory(rt)
    ip = client_ip(request)
    with unit_of_work(rt.engine) as session:
        path = service.backup_file(session, directory=directory, backup_id=body.backup_id)
        source = session.get(BackupLog, body.backup_id)
        assert source is not None
        source_read = backup_read(source, directory)
    safety = _backup(rt, user, ip, keep=None, kind="pre_restore")
    safety_row = BackupLog(**safety.model_dump())
    rt.engine.dispose()  # idle pooled connections would hold pg_restore's DROP TABLE locks
    try:
        millis = service.restore_file(url=rt.url, file=path, embedded=rt.embedded is not None)
    except service.BackupFailed as exc:
        raise Unavailable(
            f"No se pudo restaurar (la base de datos quedó como estaba): {exc}",
            code="restore_failed",
        ) from None
    with unit_of_work(rt.engine) as session:
        # The restored backup_logs is the one of the dump: log the safety copy again, then this.
        if session.get(BackupLog, safety_row.id) is None:
            session.add(safety_row)
        log = service.record_restore(
            session, clock=rt.clock, file=path, duration_ms=millis, actor=user
        )
        audit.record(
            session,
            action="backup.restore",
            clock=rt.clock,
            actor=user,
            ip=ip,
            record_type="backup",
            record_id=body.backup_id,
            details={
                "file": path.name,
                "safety_backup": safety_row.file_name,
                "duration_ms": millis,
            },
        )
    return RestoreRead(
        restored_from=source_read,
        safety_backup=backup_read(safety_row, directory),
        restore=backup_read(log, directory),
    )
