"""Checking that the Litestream replicas of the edge database restore (the backup drill).

:func:`verify` is the drill of DESIGN/sync notes section 3.12: restore the latest replica into a
temporary directory, run ``PRAGMA integrity_check`` on it and compare per-table row counts with
the live database. The replica may trail the live file by a second or two, so differing counts
are reported, not failed; the check fails on integrity errors, on a failed restore, or when the
counts differ and the replica's newest write is older than ``max_lag``. :func:`verify_all`
checks the local replica and, when its configuration exists and its endpoint answers, the S3 one
(an S3 endpoint that cannot be reached is reported and skipped: the sede may be offline).
The replicas themselves and restoring a node are :mod:`edge.backup`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from edge.backup import (
    DEFAULT_MAX_LAG,
    RESTORE_TIMEOUT_S,
    S3_PROBE_TIMEOUT_S,
    S3_RESTORE_TIMEOUT_S,
    BackupError,
    integrity_check,
    reachable,
    replica_last_write,
    restore,
    s3_target,
    table_counts,
)


@dataclass
class VerifyReport:
    db_path: Path
    replica: str = "local"
    ok: bool = False
    skipped: str | None = None
    integrity: list[str] = field(default_factory=list)
    live_counts: dict[str, int] = field(default_factory=dict)
    replica_counts: dict[str, int] = field(default_factory=dict)
    replica_last_write: dt.datetime | None = None
    replica_age: dt.timedelta | None = None
    restore_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def differing(self) -> dict[str, tuple[int | None, int | None]]:
        names = sorted(set(self.live_counts) | set(self.replica_counts))
        return {
            n: (self.live_counts.get(n), self.replica_counts.get(n))
            for n in names
            if self.live_counts.get(n) != self.replica_counts.get(n)
        }

    def summary(self) -> str:
        lines = [f"backup verify ({self.replica} replica): {self.db_path}"]
        if self.skipped is not None:
            lines.append(f"  skipped: {self.skipped}")
            return "\n".join(lines)
        lines.append(f"  restore: {self.restore_seconds:.2f} s")
        lines.append(
            "  integrity_check: ok"
            if not self.integrity and self.replica_counts
            else f"  integrity_check: {'; '.join(self.integrity) or 'not run'}"
        )
        if self.replica_last_write is not None and self.replica_age is not None:
            lines.append(
                f"  replica last write: {self.replica_last_write.isoformat(timespec='seconds')}"
                f" ({self.replica_age.total_seconds():.0f} s ago)"
            )
        total_live = sum(self.live_counts.values())
        total_replica = sum(self.replica_counts.values())
        lines.append(
            f"  tables: {len(self.replica_counts)} restored / {len(self.live_counts)} live; "
            f"rows: {total_replica} restored / {total_live} live"
        )
        for name, (live, replica) in self.differing.items():
            lines.append(f"    {name}: live {live}, replica {replica}")
        lines.extend(f"  problem: {p}" for p in self.problems)
        lines.append("  result: OK" if self.ok else "  result: FAILED")
        return "\n".join(lines)


def verify(
    config: Path,
    db_path: Path,
    *,
    max_lag: dt.timedelta = DEFAULT_MAX_LAG,
    now: dt.datetime | None = None,
    replica: str = "local",
    timeout: float = RESTORE_TIMEOUT_S,
) -> VerifyReport:
    """Restore the latest replica into a temporary directory and check it against the live DB."""
    report = VerifyReport(db_path=db_path, replica=replica)
    if db_path.exists():
        report.live_counts = table_counts(db_path)
    else:
        report.problems.append(f"the live database {db_path} does not exist")
    with tempfile.TemporaryDirectory(prefix="labred-verify-") as tmp:
        out = Path(tmp) / "restored.sqlite3"
        started = time.monotonic()
        try:
            restore(config, db_path, out, timeout=timeout)
        except BackupError as exc:
            report.problems.append(str(exc))
            return report
        report.restore_seconds = time.monotonic() - started
        report.integrity = integrity_check(out)
        if report.integrity:
            report.problems.append("the restored copy fails PRAGMA integrity_check")
        report.replica_counts = table_counts(out)
    report.replica_last_write = replica_last_write(config, db_path, timeout=min(timeout, 60))
    current = now or dt.datetime.now(dt.UTC)
    if report.replica_last_write is not None:
        report.replica_age = current - report.replica_last_write
    if report.live_counts and report.differing:
        if report.replica_age is None or report.replica_age > max_lag:
            unit = "labred-litestream" if replica == "local" else f"labred-litestream-{replica}"
            report.problems.append(
                f"the replica differs from the live database and its newest data is older than "
                f"{max_lag.total_seconds():.0f} s: is {unit} running?"
            )
    report.ok = not report.problems
    return report


def verify_all(
    config: Path,
    db_path: Path,
    *,
    s3_config: Path | None = None,
    max_lag: dt.timedelta = DEFAULT_MAX_LAG,
    now: dt.datetime | None = None,
    probe_timeout: float = S3_PROBE_TIMEOUT_S,
    s3_timeout: float = S3_RESTORE_TIMEOUT_S,
) -> list[VerifyReport]:
    """Verify the local replica and, when ``s3_config`` exists, the S3 one.

    An S3 endpoint that does not answer within ``probe_timeout`` is reported as skipped (a sede
    without internet still passes on its local replica); one that answers is verified like the
    local replica, and a failed restore from it fails.
    """
    reports = [verify(config, db_path, max_lag=max_lag, now=now)]
    if s3_config is None or not s3_config.exists():
        return reports
    host, port = s3_target(s3_config)
    if not reachable(host, port, timeout=probe_timeout):
        reports.append(
            VerifyReport(
                db_path=db_path,
                replica="s3",
                ok=True,
                skipped=f"{host}:{port} cannot be reached now (offline?); the local replica "
                "was checked",
            )
        )
        return reports
    reports.append(
        verify(s3_config, db_path, max_lag=max_lag, now=now, replica="s3", timeout=s3_timeout)
    )
    return reports
