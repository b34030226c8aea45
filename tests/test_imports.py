"""Every module of the project imports on its own, first.

An import cycle between two modules can stay hidden while every program happens to import
them in the order that works, and break a process that starts from the other end (a worker
importing ``edge.billing.sender`` before ``edge.billing.service``). This test imports each
module as the first of the project's modules, in a separate process (it empties the module
cache between imports, which must not touch the test process).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "sync", "edge", "central", "labred", "sandbox")

PROBE = """
import importlib, json, sys
names, ours = json.loads(sys.argv[1]), tuple(json.loads(sys.argv[2]))
failed = {}
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ours]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - reported by name
        failed[name] = repr(exc)[:300]
print(json.dumps(failed))
"""


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path.name == "__main__.py":
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            names.append(name.removesuffix(".__init__"))
    return names


def test_every_module_imports_first() -> None:
    names = _modules()
    assert len(names) > 300 and "edge.billing.sender" in names
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(names), json.dumps(PACKAGES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    failed = json.loads(done.stdout.strip().splitlines()[-1])
    assert failed == {}, "\n".join(f"{k}: {v}" for k, v in failed.items())
