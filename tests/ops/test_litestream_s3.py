"""The S3 replica beside the local one, against an S3 stand-in (moto_server, offline).

Two Litestream processes replicate the same edge database as the units do it
(``labred-litestream`` to a local path, ``labred-litestream-s3`` to S3 with its own
meta-path); ``verify_all`` checks both; after losing the live file and the local replica, the
S3 replica alone restores the sales.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edge import backup, backup_verify
from edge.runtime import EdgeRuntime
from tests.ops.test_litestream import _config, _replicate, _sell, _wait_for_replica
from tests.procs import free_port, run_labred


def _moto_server() -> str | None:
    beside = Path(sys.executable).parent / "moto_server"
    return str(beside) if beside.exists() else shutil.which("moto_server")


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        _moto_server() is None,
        reason="moto_server not installed (dev dependencies moto[s3], flask, flask-cors)",
    ),
]


@pytest.fixture
def s3_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local S3 stand-in with an empty bucket ``labred``; Litestream's keys in the env."""
    binary = _moto_server()
    assert binary is not None
    port = free_port()
    log = (tmp_path / "moto.log").open("ab")
    proc = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "moto.log").read_text()[-2000:]
            try:
                if httpx.put(f"{url}/labred", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "moto_server did not start in 30 s"
            time.sleep(0.2)
        monkeypatch.setenv("LITESTREAM_ACCESS_KEY_ID", "labred-test")
        monkeypatch.setenv("LITESTREAM_SECRET_ACCESS_KEY", "labred-test-secret")
        # Some build machines export AWS_CA_BUNDLE, which Litestream's S3 client refuses.
        monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_local_and_s3_replicas_both_verify_and_s3_alone_restores(
    tmp_path: Path, edge_runtime: EdgeRuntime, s3_endpoint: str
) -> None:
    db = edge_runtime.settings.db_path
    local = _config(tmp_path, db)
    s3 = backup.s3_config_path(local)
    s3.write_text(
        backup.litestream_config(
            db, s3_url="s3://labred/s01", s3_endpoint=s3_endpoint, sync_interval="500ms"
        )
    )
    procs = [_replicate(local, tmp_path / "local.log"), _replicate(s3, tmp_path / "s3.log")]
    try:
        for config, proc in zip((local, s3), procs, strict=True):
            _wait_for_replica(config, db, proc)
        for n in range(200):
            _sell(edge_runtime, n)
        time.sleep(2.5)
        reports = backup_verify.verify_all(local, db, s3_config=s3)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    assert [r.replica for r in reports] == ["local", "s3"]
    for report in reports:
        assert report.ok and report.skipped is None, report.summary()
        assert report.differing == {}, report.summary()
        assert report.replica_counts["sync_outbox"] >= 200

    # The CLI runs the same drill (it finds litestream-s3.yml beside the configuration).
    args = ("--data-dir", str(edge_runtime.settings.data_dir), "--litestream-config", str(local))
    cli = run_labred("backup", "verify", *args, env=dict(os.environ))
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert cli.stdout.count("result: OK") == 2 and "(s3 replica)" in cli.stdout

    # Losing the machine's disk (the live file and the local replica): S3 alone restores.
    edge_runtime.engine.dispose()
    live = backup.table_counts(db)
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    shutil.rmtree(tmp_path / "replica")
    assert backup.restore_node(s3, db) is None
    assert backup.integrity_check(db) == []
    assert backup.table_counts(db)["sync_outbox"] == live["sync_outbox"]
