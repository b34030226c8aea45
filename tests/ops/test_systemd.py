"""The systemd units: syntax verified by systemd where present, hardening keys always checked."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"
EXPECTED = {
    "labred-edge.service",
    "labred-edge-worker.service",
    "labred-litestream.service",
    "labred-litestream-s3.service",
    "labred-hub.service",
    "labred-hub-worker.service",
}
HARDENING = {
    "NoNewPrivileges": "true",
    "ProtectSystem": "strict",
    "ProtectHome": "true",
    "PrivateTmp": "true",
}


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


def test_every_unit_exists() -> None:
    assert {p.name for p in UNITS.glob("*.service")} == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hardening_and_restart_policy(name: str) -> None:
    unit = _unit(name)
    service = unit["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == value, f"{name}: {key}"
    assert service.get("Restart") in {"always", "on-failure"}
    assert service.get("User") == "labred"
    rw = service.get("ReadWritePaths", "").split()
    assert rw and all(p.startswith("/var/lib/labred/") for p in rw), rw
    assert "After" in unit["Unit"]
    assert "Wants" in unit["Unit"] or "Requires" in unit["Unit"]
    assert unit["Install"].get("WantedBy") == "multi-user.target"


def test_workers_start_after_their_api() -> None:
    assert "labred-edge.service" in _unit("labred-edge-worker.service")["Unit"]["After"]
    assert "labred-hub.service" in _unit("labred-hub-worker.service")["Unit"]["After"]
    assert "labred-litestream.service" in _unit("labred-edge.service")["Unit"]["Wants"]


def test_two_litestream_processes_local_always_s3_when_configured() -> None:
    local = _unit("labred-litestream.service")
    s3 = _unit("labred-litestream-s3.service")
    assert local["Service"]["ExecStart"].endswith("-config /etc/labred/litestream.yml")
    assert s3["Service"]["ExecStart"].endswith("-config /etc/labred/litestream-s3.yml")
    # Without S3 configured the unit is skipped by its condition; the local one has none.
    assert s3["Unit"]["ConditionPathExists"] == "/etc/labred/litestream-s3.yml"
    assert "ConditionPathExists" not in local["Unit"]
    assert "network-online.target" in s3["Unit"]["After"]
    # The S3 process only writes its state beside the database, never the local replica.
    assert s3["Service"]["ReadWritePaths"].split() == ["/var/lib/labred/edge"]
    assert "/var/lib/labred/backup" in local["Service"]["ReadWritePaths"].split()
    edge = _unit("labred-edge.service")["Unit"]
    for name in ("labred-litestream.service", "labred-litestream-s3.service"):
        assert name in edge["Wants"] and name in edge["After"]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze not installed (hardening keys are still checked)",
)
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    # The units point at /opt/labred, which does not exist on a build machine: systemd reports
    # those executables as missing, which is the only complaint allowed.
    res = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(UNITS / n) for n in EXPECTED)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in (res.stdout + res.stderr).splitlines()
        if line.strip() and "is not executable: No such file or directory" not in line
    ]
    assert problems == []
