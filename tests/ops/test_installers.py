"""The installers, run the way the tests can: ``--root DIR`` (a staging tree) and ``--dry-run``.

The virtual environment is a stand-in (``--python-venv``): a ``bin/labred`` script that records
its calls (and fails ``migrate`` on demand), so the tests check what the installers run, not
pip's speed. Real pip installation is only checked in dry-run output.
"""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from central.settings import load_hub_settings
from edge import backup
from edge.settings import load_edge_settings

REPO = Path(__file__).resolve().parents[2]
INSTALLERS = REPO / "installers"
EDGE_UNITS = [
    "labred-edge.service",
    "labred-edge-worker.service",
    "labred-litestream.service",
    "labred-litestream-s3.service",
]
HUB_UNITS = ["labred-hub.service", "labred-hub-worker.service"]

FAKE_LABRED = """#!/usr/bin/env bash
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
echo "$*" >> "$here/calls.log"
data=""
prev=""
for a in "$@"; do [[ $prev == --data-dir ]] && data=$a; prev=$a; done
if [[ ${1:-} == edge && ${2:-} == enroll ]]; then
    mkdir -p "$data/secrets"; echo '{"node_id": "n1"}' > "$data/secrets/node.json"
fi
if [[ ${1:-} == migrate && -f "$here/fail-migrate" ]]; then
    "$here/bin/python" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE half_migrated (x)"); c.commit()' \\
        "$data/edge.sqlite3"
    echo "migration 0002 failed" >&2
    exit 3
fi
"""


def _fake_venv(path: Path, *, fail_migrate: bool = False) -> Path:
    (path / "bin").mkdir(parents=True)
    labred = path / "bin" / "labred"
    labred.write_text(FAKE_LABRED)
    labred.chmod(0o755)
    (path / "bin" / "python").symlink_to(sys.executable)
    if fail_migrate:
        (path / "fail-migrate").write_text("yes")
    return path


def _calls(venv: Path) -> list[str]:
    log = venv / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def _run(script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALLERS / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _tree(root: Path) -> dict[str, tuple[int, str]]:
    """Every path under root: (mode, sha256 of content / link target / '')."""
    out: dict[str, tuple[int, str]] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        st = path.lstat()
        if path.is_symlink():
            out[rel] = (stat.S_IMODE(st.st_mode), "-> " + str(path.readlink()))
        elif path.is_file():
            out[rel] = (stat.S_IMODE(st.st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
        else:
            out[rel] = (stat.S_IMODE(st.st_mode), "")
    return out


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_scripts_are_strict_bash() -> None:
    for script in ["install-edge.sh", "install-hub.sh", "upgrade.sh", "uninstall.sh"]:
        text = (INSTALLERS / script).read_text()
        assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
        assert subprocess.run(["bash", "-n", str(INSTALLERS / script)]).returncode == 0


def test_edge_dry_run_prints_every_step_and_touches_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    res = _run(
        "install-edge.sh",
        "--root",
        root,
        "--dry-run",
        "--source",
        REPO,
        "--hub",
        "https://hub.example.pe",
        "--code",
        "K7Q-PX2",
    )
    assert res.returncode == 0, res.stderr
    assert not root.exists()
    out = res.stdout
    for step in [
        "useradd --system",
        "[dry-run] directory /var/lib/labred/edge (mode 0750",
        "[dry-run] run: python3 -m venv",
        "pip install --quiet --upgrade " + str(REPO),
        "[dry-run] write /etc/labred/edge.toml (mode 0640",
        "[dry-run] write /etc/labred/litestream.yml (mode 0640",
        *(f"[dry-run] write /etc/systemd/system/{u}" for u in EDGE_UNITS),
        "edge enroll --data-dir",
        "--hub https://hub.example.pe --code K7Q-PX2",
        "systemctl daemon-reload",
        "nothing was changed",
    ]:
        assert step in out, step


def test_edge_install_tree_modes_units_and_second_run(tmp_path: Path) -> None:
    root, venv = tmp_path / "root", _fake_venv(tmp_path / "venv")
    args = (
        "--root",
        root,
        "--python-venv",
        venv,
        "--hub",
        "https://hub.example.pe",
        "--code",
        "K7Q-PX2",
    )
    first = _run("install-edge.sh", *args)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "skipped (under --root" in first.stdout and "useradd" in first.stdout

    etc = root / "etc/labred"
    assert _mode(etc) == 0o750
    for name in ["edge.toml", "litestream.yml"]:
        assert _mode(etc / name) == 0o640, name  # secrets never world-readable
    assert _mode(root / "var/lib/labred/edge") == 0o750
    assert (root / "var/lib/labred/backup/edge").is_dir()
    assert (root / "opt/labred/venv").readlink() == venv
    for unit in EDGE_UNITS:
        assert (root / "etc/systemd/system" / unit).read_bytes() == (
            REPO / "systemd" / unit
        ).read_bytes()
        assert _mode(root / "etc/systemd/system" / unit) == 0o644
    assert not list((root / "etc/systemd/system").glob("labred-hub*"))

    settings = load_edge_settings(tmp_path / "data", etc / "edge.toml")
    assert settings.hub_url == "https://hub.example.pe"
    assert settings.port == 8101 and len(settings.jwt_secret) >= 32
    assert settings.workers == 1  # the workers line is there, commented out
    toml = (etc / "edge.toml").read_text()
    assert "\n# workers = 2\n" in toml
    (tmp_path / "edge-2.toml").write_text(toml.replace("\n# workers = 2\n", "\nworkers = 2\n"))
    assert load_edge_settings(tmp_path / "data", tmp_path / "edge-2.toml").workers == 2
    assert (etc / "litestream.yml").read_text() == backup.litestream_config(
        Path("/var/lib/labred/edge/edge.sqlite3"), local_path=Path("/var/lib/labred/backup/edge")
    )
    assert not (etc / "litestream-s3.yml").exists() and not (etc / "litestream.env").exists()
    assert "S3 replica: not configured" in first.stdout
    assert not (root / "etc/systemd/system/labred-litestream.service.d").exists()
    data = root / "var/lib/labred/edge"
    assert _calls(venv) == [
        f"edge enroll --data-dir {data} --config {etc / 'edge.toml'} "
        "--hub https://hub.example.pe --code K7Q-PX2"
    ]

    before = _tree(root)
    second = _run("install-edge.sh", *args)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout and "no change made" in second.stdout
    assert "node already enrolled" in second.stdout
    assert "+ " not in second.stdout
    assert _tree(root) == before
    assert len(_calls(venv)) == 1  # not enrolled twice


def test_edge_s3_replica_is_added_beside_the_local_one(tmp_path: Path) -> None:
    root, venv = tmp_path / "root", _fake_venv(tmp_path / "venv")
    args = (
        "--root",
        root,
        "--python-venv",
        venv,
        "--no-enroll",
        "--s3-url",
        "s3://labred-backups/s01",
        "--s3-endpoint",
        "https://minio.lan:9000",
        "--s3-access-key-id",
        "AKIA123",
        "--s3-secret-access-key",
        "s3cr3t",
    )
    res = _run("install-edge.sh", *args)
    assert res.returncode == 0, res.stderr
    etc = root / "etc/labred"
    db = Path("/var/lib/labred/edge/edge.sqlite3")
    # The local replica stays (Litestream 0.5: one replica per process, so S3 is a second one).
    assert (etc / "litestream.yml").read_text() == backup.litestream_config(
        db, local_path=Path("/var/lib/labred/backup/edge")
    )
    assert (root / "var/lib/labred/backup/edge").is_dir()
    s3 = (etc / "litestream-s3.yml").read_text()
    assert s3 == backup.litestream_config(
        db, s3_url="s3://labred-backups/s01", s3_endpoint="https://minio.lan:9000"
    )
    assert f'meta-path: "{backup.s3_meta_path(db)}"' in s3  # its own state, not the local one's
    assert _mode(etc / "litestream-s3.yml") == 0o640
    env = etc / "litestream.env"
    assert _mode(env) == 0o640
    assert "LITESTREAM_SECRET_ACCESS_KEY=s3cr3t" in env.read_text()
    assert "s3cr3t" not in s3 and "s3cr3t" not in (etc / "litestream.yml").read_text()
    unit = root / "etc/systemd/system/labred-litestream-s3.service"
    assert unit.read_bytes() == (REPO / "systemd/labred-litestream-s3.service").read_bytes()
    assert "systemctl restart labred-litestream-s3.service" in res.stdout  # under --root: skipped
    assert _calls(venv) == []

    before = _tree(root)
    again = _run("install-edge.sh", *args)
    assert again.returncode == 0 and "no change made" in again.stdout, again.stdout
    assert _tree(root) == before
    # A later run without --s3-url keeps the S3 replica (never silently stops a backup).
    plain = _run("install-edge.sh", "--root", root, "--python-venv", venv, "--no-enroll")
    assert plain.returncode == 0 and "S3 replica kept" in plain.stdout
    assert _tree(root) == before

    bad = _run("install-edge.sh", "--root", root, "--dry-run", "--s3-url", "https://x")
    assert bad.returncode == 1 and "s3://" in bad.stderr


def test_edge_backup_path_outside_var_lib_gets_a_writable_drop_in(tmp_path: Path) -> None:
    root, venv = tmp_path / "root", _fake_venv(tmp_path / "venv")
    nas = "/mnt/nas/labred-s01"
    res = _run(
        "install-edge.sh", "--root", root, "--python-venv", venv, "--no-enroll",
        "--backup-path", nas,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    dropin = root / "etc/systemd/system/labred-litestream.service.d/backup-path.conf"
    assert f"ReadWritePaths={nas}" in dropin.read_text() and _mode(dropin) == 0o644
    assert f'path: "{nas}"' in (root / "etc/labred/litestream.yml").read_text()
    assert (root / nas.lstrip("/")).is_dir()
    # Back to the default place: the drop-in goes.
    back = _run("install-edge.sh", "--root", root, "--python-venv", venv, "--no-enroll")
    assert back.returncode == 0 and not dropin.exists()
    assert "+ update /etc/labred/litestream.yml" in back.stdout
    assert "systemctl restart labred-litestream.service" in back.stdout
    gone = _run("uninstall.sh", "--edge", "--root", root)
    assert gone.returncode == 0 and not dropin.parent.exists()


def test_hub_install_with_external_database(tmp_path: Path) -> None:
    root, venv = tmp_path / "root", _fake_venv(tmp_path / "venv")
    url = "postgresql://labred:pa55word@db.lan:5432/labred"
    args = ("--root", root, "--python-venv", venv, "--database-url", url)
    first = _run("install-hub.sh", *args)
    assert first.returncode == 0, first.stderr + first.stdout
    etc = root / "etc/labred"
    assert _mode(etc / "hub.toml") == 0o640
    settings = load_hub_settings(tmp_path / "data", etc / "hub.toml")
    assert settings.database_url == url and settings.port == 8100
    for unit in HUB_UNITS:
        assert (root / "etc/systemd/system" / unit).read_bytes() == (
            REPO / "systemd" / unit
        ).read_bytes()
    cron = (root / "etc/cron.d/labred-hub-backup").read_text()
    assert "labred backup hub --data-dir /var/lib/labred/hub" in cron
    assert "--kind scheduled" in cron and "--keep" not in cron  # days from the hub's setting
    assert _mode(root / "var/lib/labred/hub/backups") == 0o700
    data = root / "var/lib/labred/hub"
    assert _calls(venv) == [f"migrate hub --data-dir {data} --config {etc / 'hub.toml'}"]

    before = _tree(root)
    second = _run("install-hub.sh", *args)
    assert second.returncode == 0 and "no change made" in second.stdout
    assert _tree(root) == before


def test_hub_embedded_and_system_postgres_in_dry_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    embedded = _run("install-hub.sh", "--root", root, "--dry-run", "--source", REPO)
    assert embedded.returncode == 0, embedded.stderr
    assert "migrate hub" in embedded.stdout and "pip install" in embedded.stdout
    system = _run(
        "install-hub.sh", "--root", root, "--dry-run", "--skip-pip", "--postgres", "system"
    )
    assert system.returncode == 0, system.stderr
    assert "CREATE ROLE labred" in system.stdout and not root.exists()
    wrong = _run("install-hub.sh", "--root", root, "--dry-run", "--postgres", "mysql")
    assert wrong.returncode == 1 and "embedded" in wrong.stderr


def test_uninstall_keeps_data_and_purge_removes_it(tmp_path: Path) -> None:
    root, venv = tmp_path / "root", _fake_venv(tmp_path / "venv")
    assert (
        _run("install-edge.sh", "--root", root, "--python-venv", venv, "--no-enroll").returncode
        == 0
    )
    db = root / "var/lib/labred/edge/edge.sqlite3"
    db.write_bytes(b"sales")

    before = _tree(root)
    dry = _run("uninstall.sh", "--edge", "--root", root, "--dry-run")
    assert dry.returncode == 0 and "[dry-run] remove /opt/labred" in dry.stdout
    assert _tree(root) == before

    res = _run("uninstall.sh", "--edge", "--root", root)
    assert res.returncode == 0, res.stderr
    assert not any((root / "etc/systemd/system" / u).exists() for u in EDGE_UNITS)
    assert not (root / "opt/labred").exists()
    assert venv.exists() and (venv / "bin/labred").exists()  # the link went, not its target
    assert db.read_bytes() == b"sales" and (root / "etc/labred/edge.toml").exists()
    assert "kept: /var/lib/labred/edge" in res.stdout

    purge = _run("uninstall.sh", "--edge", "--purge", "--root", root)
    assert purge.returncode == 0, purge.stderr
    assert not (root / "var/lib/labred").exists() and not (root / "etc/labred").exists()


def _edge_db(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE lab_order (id TEXT PRIMARY KEY, total INTEGER)")
    rows = [(f"o{i}", i * 1250) for i in range(50)]
    conn.executemany("INSERT INTO lab_order VALUES (?, ?)", rows)
    conn.commit()
    conn.close()
    return _dump(path)


def _dump(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_upgrade_swaps_environment_backs_up_and_migrates(tmp_path: Path) -> None:
    root, old = tmp_path / "root", _fake_venv(tmp_path / "old")
    new = _fake_venv(tmp_path / "new")
    assert (
        _run("install-edge.sh", "--root", root, "--python-venv", old, "--no-enroll").returncode == 0
    )
    db = root / "var/lib/labred/edge/edge.sqlite3"
    _edge_db(db)
    dry = _run("upgrade.sh", "--edge", "--root", root, "--python-venv", new, "--dry-run")
    assert (
        dry.returncode == 0
        and "[dry-run] run: /opt/labred/venv/bin/labred migrate edge" in dry.stdout
    )
    assert (root / "opt/labred/venv").readlink() == old

    res = _run("upgrade.sh", "--edge", "--root", root, "--python-venv", new)
    assert res.returncode == 0, res.stderr + res.stdout
    assert (root / "opt/labred/venv").readlink() == new
    assert (root / "opt/labred/venv.previous").readlink() == old
    assert _calls(new) == [
        f"migrate edge --data-dir {db.parent} --config {root / 'etc/labred/edge.toml'}"
    ]
    (saved,) = (root / "var/lib/labred/backup").glob("upgrade-edge-*/edge.sqlite3")
    conn = sqlite3.connect(saved)
    assert conn.execute("SELECT count(*), sum(total) FROM lab_order").fetchone() == (50, 1531250)
    conn.close()


def test_upgrade_rolls_back_when_migrate_fails(tmp_path: Path) -> None:
    root, old = tmp_path / "root", _fake_venv(tmp_path / "old")
    broken = _fake_venv(tmp_path / "broken", fail_migrate=True)
    assert (
        _run("install-edge.sh", "--root", root, "--python-venv", old, "--no-enroll").returncode == 0
    )
    db = root / "var/lib/labred/edge/edge.sqlite3"
    original = _edge_db(db)

    res = _run("upgrade.sh", "--edge", "--root", root, "--python-venv", broken)
    assert res.returncode == 1
    assert "failed at: migrate" in res.stderr and "rolled back" in res.stderr
    assert (root / "opt/labred/venv").readlink() == old
    assert _calls(broken) and _calls(broken)[0].startswith("migrate edge")
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    count = conn.execute("SELECT count(*) FROM lab_order").fetchone()[0]
    conn.close()
    assert "half_migrated" not in tables and count == 50
    assert _dump(db) == original


@pytest.mark.parametrize(
    "script", ["install-edge.sh", "install-hub.sh", "upgrade.sh", "uninstall.sh"]
)
def test_unknown_option_is_a_clear_error(script: str, tmp_path: Path) -> None:
    res = _run(script, "--root", tmp_path / "r", "--dry-run", "--bogus")
    assert res.returncode == 1 and "unknown option --bogus" in res.stderr


def test_edge_lab_listener_flag_writes_edge_toml_and_sets_a_kept_one(tmp_path: Path) -> None:
    root, venv = tmp_path / "root", _fake_venv(tmp_path / "venv")
    base = ("--root", root, "--python-venv", venv, "--no-enroll")
    toml = root / "etc/labred/edge.toml"
    first = _run("install-edge.sh", *base)
    assert first.returncode == 0, first.stderr
    assert '\n# lab_listener = "0.0.0.0:2575"\n' in toml.read_text()  # shown, commented out
    assert load_edge_settings(tmp_path / "data", toml).lab_listener is None
    secret = load_edge_settings(tmp_path / "data", toml).jwt_secret

    # the flag on a node installed before: that key is set, the rest of the file kept
    again = _run("install-edge.sh", *base, "--lab-listener", "0.0.0.0:2575")
    assert again.returncode == 0, again.stderr
    assert '+ edge.toml: lab_listener = "0.0.0.0:2575"' in again.stdout
    settings = load_edge_settings(tmp_path / "data", toml)
    assert settings.lab_listener_address == ("0.0.0.0", 2575) and settings.jwt_secret == secret
    assert _mode(toml) == 0o640
    before = _tree(root)
    same = _run("install-edge.sh", *base, "--lab-listener", "0.0.0.0:2575")
    assert same.returncode == 0 and "no change made" in same.stdout and _tree(root) == before
    moved = _run("install-edge.sh", *base, "--lab-listener", "192.168.1.20:2600")
    assert moved.returncode == 0, moved.stderr
    text = toml.read_text()
    assert text.count("lab_listener") == 1, text
    assert load_edge_settings(tmp_path / "data", toml).lab_listener_address == (
        "192.168.1.20",
        2600,
    )

    fresh = tmp_path / "fresh"
    new = _run("install-edge.sh", "--root", fresh, "--python-venv", _fake_venv(tmp_path / "v2"),
               "--no-enroll", "--lab-listener", "[::]:2575")  # fmt: skip
    assert new.returncode == 0, new.stderr
    assert load_edge_settings(tmp_path / "data", fresh / "etc/labred/edge.toml").lab_listener == (
        "[::]:2575"
    )
    for bad in ("2575", "0.0.0.0:99999", "a b:1"):
        res = _run("install-edge.sh", *base, "--dry-run", "--lab-listener", bad)
        assert res.returncode == 1 and "--lab-listener must be HOST:PORT" in res.stderr
