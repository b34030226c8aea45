"""The import direction of DESIGN.md section 1: domain <- sync <- edge, central; tui -> HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["domain", "sync", "edge", "central", "tui", "sandbox", "labred"]

# package -> top-level packages it must never import
FORBIDDEN: dict[str, set[str]] = {
    "domain": {
        "sync",
        "edge",
        "central",
        "tui",
        "sandbox",
        "labred",
        "fastapi",
        "sqlalchemy",
        "sqlmodel",
        "httpx",
        "uvicorn",
        "starlette",
        "psycopg",
        "sqlite3",
        "requests",
    },
    "sync": {"edge", "central", "tui", "sandbox", "labred"},
    "edge": {"central", "tui", "sandbox"},
    "central": {"edge", "tui", "sandbox"},
    "tui": {"edge", "central", "sandbox", "sqlalchemy", "sqlmodel", "sqlite3"},
    "sandbox": {"edge", "central", "tui"},
}
# edge and central may use labred's CLI helpers only (errors, serving: one process or N), nothing
# else of it.
LABRED_ALLOWED = {"labred.errors", "labred.serving", "labred.supervisor"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_direction(package: str) -> None:
    violations = []
    for path in _files(package):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                violations.append(f"{path.relative_to(ROOT)} imports {name}")
            if (
                top == "labred"
                and package in {"edge", "central"}
                and not any(
                    name == allowed or name.startswith(allowed + ".") for allowed in LABRED_ALLOWED
                )
            ):
                violations.append(f"{path.relative_to(ROOT)} imports {name}")
    assert violations == []


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    """The walker must find both import forms, or the test above could pass vacuously."""
    sample = tmp_path / "m.py"
    sample.write_text("import edge.db\nfrom central.app import create_app\n")
    assert _imports(sample) == ["edge.db", "central.app"]
    assert len(_files("domain")) > 3 and len(_files("edge")) > 3
