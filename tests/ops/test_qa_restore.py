"""``labred restore`` leaves only the database (and the kept old one) in the data directory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from edge import backup
from edge.runtime import EdgeRuntime
from tests.ops.test_litestream import _config, _replicate, _sell, _wait_for_replica
from tests.procs import run_labred


def test_restore_leaves_no_staging_files_beside_the_database(
    tmp_path: Path, edge_runtime: EdgeRuntime
) -> None:
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
    done = run_labred(
        "restore", "--data-dir", str(data), "--litestream-config", str(config), "--force"
    )
    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in data.iterdir() if p.name.startswith(db.name))
    assert not [n for n in left if ".restoring" in n], left  # was .restoring-wal / -shm
    assert db.name in left
    assert backup.integrity_check(db) == []
    assert backup.table_counts(db)["sync_outbox"] >= 1


def test_the_readme_litestream_yml_for_a_node_started_by_hand(
    tmp_path: Path, edge_runtime: EdgeRuntime
) -> None:
    """The README's ``DATA_DIR/litestream.yml``, paths moved under tmp: Litestream replicates
    with it and ``labred backup verify --data-dir`` finds it without --litestream-config."""
    if backup.DEFAULT_CONFIG.exists():
        pytest.skip(reason=f"{backup.DEFAULT_CONFIG} exists here and would be used instead")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    data = edge_runtime.settings.data_dir
    db = edge_runtime.settings.db_path
    yml = block.replace("/var/lib/labred/edge/edge.sqlite3", str(db)).replace(
        "/var/lib/labred/backup/edge", str(tmp_path / "replica")
    )
    assert str(db) in yml and str(tmp_path / "replica") in yml
    config = data / "litestream.yml"
    config.write_text(yml)
    _sell(edge_runtime, 1)
    proc = _replicate(config, tmp_path / "litestream.log")
    try:
        _wait_for_replica(config, db, proc)
        time.sleep(1.5)
        res = run_labred("backup", "verify", "--data-dir", str(data))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "result: OK" in res.stdout
