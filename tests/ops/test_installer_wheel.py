"""install-edge.sh for real: a wheel of labred built here, installed by pip into --root DIR.

No network at test time: the wheel is built with ``--no-build-isolation --no-index`` (setuptools
and wheel are dev dependencies), and pip runs with ``PIP_NO_INDEX=1``, so anything it would
have to download fails the test. labred's dependencies are not downloaded either: they are made
visible to the new environment through ``PYTHONPATH`` (this test's own site-packages), so pip
finds them already satisfied and installs only the wheel. Every step of the installer runs for
real: ``python3 -m venv``, ``pip install``, the stamp, the configuration, the units.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["labred", "domain", "sync", "edge", "central", "tui", "sandbox"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("setuptools") is None or importlib.util.find_spec("wheel") is None,
        reason="setuptools and wheel are needed to build labred offline (dev dependencies)",
    ),
]


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """The installer's environment: no index, this interpreter as python3, deps on PYTHONPATH."""
    shims = tmp_path / "shims"
    shims.mkdir(exist_ok=True)
    python3 = shims / "python3"
    if not python3.exists():
        # The same Python as this environment (a venv's base), so its site-packages fit.
        python3.symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{shims}{os.pathsep}{env.get('PATH', '')}",
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CONFIG_FILE=os.devnull,
        PYTHONPATH=sysconfig.get_paths()["purelib"],
    )
    return env


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.sqlite3*")
    for package in PACKAGES:
        shutil.copytree(REPO / package, src / package, ignore=ignore)
    out = tmp_path / "wheelhouse"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull)
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    (wheel,) = out.glob("labred-*.whl")
    return wheel


def _tree(root: Path) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if path.is_symlink():
            digest = "-> " + str(path.readlink())
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest = ""
        out[str(path.relative_to(root))] = (stat.S_IMODE(st.st_mode), digest)
    return out


def _install(root: Path, wheel: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(REPO / "installers/install-edge.sh"), "--root", str(root)]
        + ["--source", str(wheel), "--no-enroll"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_install_edge_from_a_wheel_then_run_it_and_install_again(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    env = _offline_env(tmp_path)
    root = tmp_path / "root"

    first = _install(root, wheel, env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "run: python3 -m venv" in first.stdout
    assert f"pip install --quiet --upgrade {wheel}" in first.stdout
    venv = root / "opt/labred/venv"
    stamp = (venv / ".labred-source").read_text().strip()
    assert stamp == "wheel:" + hashlib.sha256(wheel.read_bytes()).hexdigest()

    # The installed program, not the checkout: labred is imported from the new environment.
    where = subprocess.run(
        [str(venv / "bin/python"), "-c", "import importlib.metadata as m, labred, edge; "
         "print(m.version('labred')); print(labred.__file__); print(edge.__file__)"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    version, labred_file, edge_file = where.stdout.split()
    assert version == "0.1.0"
    for module_file in (labred_file, edge_file):
        assert Path(module_file).is_relative_to(venv.resolve()), module_file
    helped = subprocess.run(
        [str(venv / "bin/labred"), "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert helped.returncode == 0 and "edge" in helped.stdout

    data, config = root / "var/lib/labred/edge", root / "etc/labred/edge.toml"
    init = subprocess.run(
        [str(venv / "bin/labred"), "edge", "init", "--data-dir", str(data), "--config"]
        + [str(config), "--sede-code", "S01", "--admin-password", "Clave-segura-2026"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    assert (data / "edge.sqlite3").exists()

    # A second run changes nothing: same wheel (stamp), same files, same modes.
    before = _tree(root)
    second = _install(root, wheel, env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "no change made" in second.stdout and "+ " not in second.stdout
    assert f"ok: virtual environment /opt/labred/venv (wheel:{stamp[6:]})" in second.stdout
    assert _tree(root) == before
