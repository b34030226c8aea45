"""Every module of the project imports, and every module of an import cycle imports first.

An import cycle between two modules can stay hidden while every program happens to import
them in the order that works, and break a process that starts from the other end (a worker
importing ``edge.billing.sender`` before ``edge.billing.service``). Only a module inside a
cycle can fail that way: a module outside every cycle sees its dependencies either fully
imported or imported by itself, whatever came first. So, in a separate process:

1. every module is imported once, while the import-time graph is recorded: for each module,
   the project modules its top-level code imports, cached or not, by statement or by
   ``importlib.import_module`` (``edge.schema`` loads the model modules that way), plus its
   parent package;
2. every module of a cycle of that graph (a strongly connected component of more than one
   module) is imported again as the first of the project's modules, with the project's
   modules removed from the module cache before each (which must not touch the test process).

Importing each of the ~430 modules first took 33 s; this takes a few.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "sync", "edge", "central", "labred", "sandbox")

PROBE = r"""
import builtins, importlib, importlib.abc, importlib.util, json, sys
names, ours = json.loads(sys.argv[1]), tuple(json.loads(sys.argv[2]))

def is_ours(name):
    return name.split(".")[0] in ours

running = []  # project modules whose top-level code is executing, innermost last
edges = {name: set() for name in names}

class Loader(importlib.abc.Loader):
    def __init__(self, inner):
        self.inner = inner
    def __getattr__(self, attr):  # resource readers, get_data, ...
        return getattr(self.inner, attr)
    def create_module(self, spec):
        return self.inner.create_module(spec)
    def exec_module(self, module):
        running.append(module.__name__)
        try:
            self.inner.exec_module(module)
        finally:
            running.pop()

class Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if not is_ours(name):
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    spec.loader = Loader(spec.loader)
                    return spec
        return None

def note(target):
    if running and is_ours(target):
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name != running[-1] and name in edges:
                edges[running[-1]].add(name)

real_import, real_import_module = builtins.__import__, importlib.import_module

def traced_import(name, globals=None, locals=None, fromlist=(), level=0):
    module = real_import(name, globals, locals, fromlist, level)
    if running:
        base = name
        if level:
            package = (globals or {}).get("__package__")
            base = importlib.util.resolve_name("." * level + name, package)
        note(base)
        for item in fromlist or ():
            if f"{base}.{item}" in sys.modules:
                note(f"{base}.{item}")
    return module

def traced_import_module(name, package=None):
    module = real_import_module(name, package)
    note(module.__name__)
    return module

sys.meta_path.insert(0, Finder())
builtins.__import__, importlib.import_module = traced_import, traced_import_module

failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - reported by name
        failed[name] = repr(exc)[:300]
for name in names:
    if "." in name:
        edges[name].add(name.rpartition(".")[0])

# Tarjan's strongly connected components, iteratively.
index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]
for root in names:
    if root in index:
        continue
    work = [(root, iter(sorted(edges[root])))]
    index[root] = low[root] = counter[0]; counter[0] += 1; stack.append(root); on_stack.add(root)
    while work:
        node, children = work[-1]
        child = next(children, None)
        if child is not None:
            if child not in index:
                index[child] = low[child] = counter[0]; counter[0] += 1
                stack.append(child); on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[node])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop(); on_stack.discard(member); component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

for name in sorted(m for c in cycles for m in c):
    for loaded in [m for m in sys.modules if is_ours(m)]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - reported by name
        failed[name] = "imported first: " + repr(exc)[:300]
print(json.dumps({
    "failed": failed,
    "cycles": cycles,
    "schema_loads": sorted(edges.get("edge.schema", ())),
}))
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


def test_every_module_imports_and_every_cycle_member_imports_first() -> None:
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
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The graph is really recorded: imports made through importlib count, and the package
    # cycles every project has (a package importing its own submodules) are found.
    assert "edge.billing.models" in result["schema_loads"]
    assert any("domain.clock" in cycle for cycle in result["cycles"]), result["cycles"]
    assert result["failed"] == {}, "\n".join(f"{k}: {v}" for k, v in result["failed"].items())
