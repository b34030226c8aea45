"""Edge backups with Litestream: replication under a stream of sales, loss, restore, verify."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from domain.ids import new_id
from edge import backup, backup_verify
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from sync.outbox import record_change
from tests.procs import free_port

# A sale committed this long before the loss must be in the restored database.
RPO_SECONDS = 3.0


def _config(tmp_path: Path, db: Path) -> Path:
    path = tmp_path / "litestream.yml"
    path.write_text(
        backup.litestream_config(db, local_path=tmp_path / "replica", sync_interval="500ms")
    )
    return path


def _replicate(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(
            [backup.litestream_binary(), "replicate", "-config", str(config)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _sell(rt: EdgeRuntime, n: int) -> None:
    with unit_of_work(rt.engine) as session:
        record_change(
            session,
            record_type="payment",
            record_id=new_id(),
            payload={"n": n, "amount": "12.50", "method": "efectivo"},
        )


def _wait_for_replica(config: Path, db: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, "litestream exited"
        if backup.replica_last_write(config, db) is not None:
            return
        time.sleep(0.2)
    raise AssertionError("litestream wrote no replica in 20 s")


def test_config_has_one_replica_local_or_s3(tmp_path: Path) -> None:
    local = backup.litestream_config(Path("/d/edge.sqlite3"), local_path=Path("/b/edge"))
    assert 'path: "/d/edge.sqlite3"' in local and "type: file" in local
    assert 'path: "/b/edge"' in local and "replicas:" not in local
    assert "meta-path" not in local  # Litestream's default state directory
    s3 = backup.litestream_config(
        Path("/d/edge.sqlite3"), s3_url="s3://labred/s01", s3_endpoint="https://minio.lan:9000"
    )
    assert 'url: "s3://labred/s01"' in s3 and "type: file" not in s3
    assert "force-path-style: true" in s3 and "secret" not in s3.lower()
    assert 'meta-path: "/d/.edge.sqlite3-litestream-s3"' in s3  # its own state
    with pytest.raises(backup.BackupError):
        backup.litestream_config(Path("/d/x"), s3_url="https://not-s3")
    path = tmp_path / "litestream-s3.yml"
    path.write_text(s3)
    assert backup.s3_target(path) == ("minio.lan", 9000)
    path.write_text(backup.litestream_config(Path("/d/x"), s3_url="s3://b/p"))
    assert backup.s3_target(path) == ("s3.amazonaws.com", 443)
    assert backup.s3_config_path(Path("/etc/labred/litestream.yml")) == Path(
        "/etc/labred/litestream-s3.yml"
    )


def _second_config(tmp_path: Path, db: Path) -> Path:
    """A second process's configuration as the S3 one is made (its own meta-path), with a
    file destination standing in for the bucket: what matters here is that two Litestream
    processes replicate one database side by side without losing each other's data."""
    text = backup.litestream_config(db, s3_url="s3://stand-in/s01", sync_interval="500ms")
    text = text.replace('      url: "s3://stand-in/s01"\n', "      type: file\n").replace(
        "      sync-interval", f'      path: "{tmp_path / "second-replica"}"\n      sync-interval'
    )
    assert "meta-path" in text and "url:" not in text
    path = tmp_path / "second.yml"
    path.write_text(text)
    return path


def test_two_processes_each_keep_a_full_replica(tmp_path: Path, edge_runtime: EdgeRuntime) -> None:
    db = edge_runtime.settings.db_path
    first, second = _config(tmp_path, db), _second_config(tmp_path, db)
    procs = [_replicate(first, tmp_path / "a.log"), _replicate(second, tmp_path / "b.log")]
    try:
        for config, proc in zip((first, second), procs, strict=True):
            _wait_for_replica(config, db, proc)
        for n in range(300):
            _sell(edge_runtime, n)
        time.sleep(2.5)
        reports = [backup_verify.verify(c, db) for c in (first, second)]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    for report in reports:
        assert report.ok, report.summary()
        assert report.differing == {}, report.summary()
        assert report.replica_counts["sync_outbox"] >= 300
    assert backup.s3_meta_path(db).is_dir()  # the second process's own state


def test_verify_all_skips_an_unreachable_s3_and_fails_a_broken_one(
    tmp_path: Path, edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some build machines export AWS_CA_BUNDLE, which Litestream's S3 client refuses outright.
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    db = edge_runtime.settings.db_path
    config = _config(tmp_path, db)
    _sell(edge_runtime, 1)
    proc = _replicate(config, tmp_path / "litestream.log")
    try:
        _wait_for_replica(config, db, proc)
        time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    s3_config = backup.s3_config_path(config)
    assert backup_verify.verify_all(config, db, s3_config=s3_config)[1:] == []  # none configured

    closed = free_port()  # nothing listens there: the sede is "offline"
    s3_config.write_text(
        backup.litestream_config(
            db, s3_url="s3://labred/s01", s3_endpoint=f"http://127.0.0.1:{closed}"
        )
    )
    local, s3 = backup_verify.verify_all(config, db, s3_config=s3_config, probe_timeout=2)
    assert local.ok and local.replica == "local", local.summary()
    assert s3.ok and s3.replica == "s3" and s3.skipped is not None
    assert "cannot be reached" in s3.summary() and f"127.0.0.1:{closed}" in s3.summary()

    # Something answers but is no S3 holding our replica: that is a failed check.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        s3_config.write_text(
            backup.litestream_config(
                db, s3_url="s3://labred/s01", s3_endpoint=f"http://127.0.0.1:{port}"
            )
        )
        _, broken = backup_verify.verify_all(
            config, db, s3_config=s3_config, probe_timeout=2, s3_timeout=5
        )
    assert not broken.ok and broken.skipped is None
    assert "result: FAILED" in broken.summary() and "s3 replica" in broken.summary()


def test_sales_survive_losing_the_live_file(tmp_path: Path, edge_runtime: EdgeRuntime) -> None:
    db = edge_runtime.settings.db_path
    config = _config(tmp_path, db)
    log = tmp_path / "litestream.log"
    proc = _replicate(config, log)
    committed: dict[int, float] = {}
    stop = threading.Event()

    def seller() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            _sell(edge_runtime, n)
            committed[n] = time.monotonic()
            time.sleep(0.01)

    try:
        _wait_for_replica(config, db, proc)
        thread = threading.Thread(target=seller, daemon=True)
        thread.start()
        time.sleep(6)
        # The disaster: the machine loses the disk while sales are being written.
        loss = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        thread.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    edge_runtime.engine.dispose()
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)

    backup.restore(config, db, db)
    assert backup.integrity_check(db) == []
    conn_rt = EdgeRuntime.open(edge_runtime.settings)
    with conn_rt.engine.connect() as conn:
        payloads = conn.execute(
            text("SELECT payload FROM sync_outbox WHERE record_type = 'payment'")
        ).scalars()
        restored = {json.loads(p)["n"] for p in payloads}
    conn_rt.engine.dispose()
    must_have = {n for n, at in committed.items() if at < loss - RPO_SECONDS}
    assert len(committed) > 100, f"only {len(committed)} sales written"
    assert must_have, "no sale old enough to require"
    assert must_have <= restored, sorted(must_have - restored)[:10]
    # Nothing invented: every restored sale was really committed.
    assert restored <= set(committed)
    print(
        f"\nsales committed {len(committed)}, restored {len(restored)}, lost in the last "
        f"{RPO_SECONDS:.0f} s window: {len(set(committed) - restored)}"
    )


def test_verify_passes_on_a_current_replica_and_reports_counts(
    tmp_path: Path, edge_runtime: EdgeRuntime
) -> None:
    db = edge_runtime.settings.db_path
    config = _config(tmp_path, db)
    for n in range(20):
        _sell(edge_runtime, n)
    proc = _replicate(config, tmp_path / "litestream.log")
    try:
        _wait_for_replica(config, db, proc)
        time.sleep(1.5)
        report = backup_verify.verify(config, db)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert report.ok, report.summary()
    assert report.integrity == []
    assert report.replica_counts["sync_outbox"] == report.live_counts["sync_outbox"] >= 20
    assert "result: OK" in report.summary()
    assert "integrity_check: ok" in report.summary()


def test_verify_fails_on_a_stale_replica_and_on_a_missing_one(
    tmp_path: Path, edge_runtime: EdgeRuntime
) -> None:
    db = edge_runtime.settings.db_path
    config = _config(tmp_path, db)
    missing = backup_verify.verify(config, db)
    assert not missing.ok and "litestream restore failed" in missing.problems[0]

    proc = _replicate(config, tmp_path / "litestream.log")
    try:
        _wait_for_replica(config, db, proc)
        time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for n in range(5):  # written after replication stopped: the replica now lags
        _sell(edge_runtime, n)
    fresh = backup_verify.verify(config, db)
    assert fresh.ok, fresh.summary()  # differing counts, but the replica is recent
    assert "sync_outbox" in fresh.differing
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    stale = backup_verify.verify(config, db, now=later)
    assert not stale.ok
    assert "older than" in stale.summary() and "result: FAILED" in stale.summary()


def test_integrity_check_reports_a_damaged_file(tmp_path: Path, edge_runtime: EdgeRuntime) -> None:
    db = edge_runtime.settings.db_path
    edge_runtime.engine.dispose()
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(page * 2, min(len(data), page * 6)):
        data[offset] = 0xFF
    damaged.write_bytes(bytes(data))
    assert backup.integrity_check(damaged) != []


def test_restore_node_keeps_the_old_file_and_needs_force(
    tmp_path: Path, edge_runtime: EdgeRuntime
) -> None:
    db = edge_runtime.settings.db_path
    config = _config(tmp_path, db)
    _sell(edge_runtime, 1)
    proc = _replicate(config, tmp_path / "litestream.log")
    try:
        _wait_for_replica(config, db, proc)
        time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    edge_runtime.engine.dispose()
    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore_node(config, db)
    kept = backup.restore_node(config, db, force=True)
    assert kept is not None and kept.exists() and db.exists()
    assert backup.table_counts(db)["sync_outbox"] == backup.table_counts(kept)["sync_outbox"]


def test_cli_verify_and_restore(tmp_path: Path, edge_runtime: EdgeRuntime) -> None:
    from tests.procs import run_labred

    data = edge_runtime.settings.data_dir
    db = edge_runtime.settings.db_path
    config = _config(tmp_path, db)
    _sell(edge_runtime, 1)
    proc = _replicate(config, tmp_path / "litestream.log")
    try:
        _wait_for_replica(config, db, proc)
        time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    edge_runtime.engine.dispose()
    args = ("--data-dir", str(data), "--litestream-config", str(config))
    ok = run_labred("backup", "verify", *args)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "integrity_check: ok" in ok.stdout and "result: OK" in ok.stdout

    refused = run_labred("restore", *args)
    assert refused.returncode == 1 and "--force" in refused.stderr
    done = run_labred("restore", *args, "--force")
    assert done.returncode == 0, done.stderr
    assert "labred edge enroll" in done.stdout and "before-restore" in done.stdout

    # An S3 replica configured beside it whose endpoint is unreachable: reported, not failed.
    backup.s3_config_path(config).write_text(
        backup.litestream_config(
            db, s3_url="s3://labred/s01", s3_endpoint=f"http://127.0.0.1:{free_port()}"
        )
    )
    offline = run_labred("backup", "verify", *args)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "(s3 replica)" in offline.stdout and "cannot be reached" in offline.stdout
    backup.s3_config_path(config).unlink()

    missing = run_labred(
        "backup",
        "verify",
        "--data-dir",
        str(data),
        "--litestream-config",
        str(tmp_path / "absent.yml"),
    )
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    for item in (tmp_path / "replica").iterdir():
        shutil.rmtree(item) if item.is_dir() else item.unlink()
    failed = run_labred("backup", "verify", *args)
    assert failed.returncode == 1 and "result: FAILED" in failed.stdout
