"""A soak run as data (bench/bench_soak.py ``--save``/``--replay``): the samples and the load's
counts, written as JSON so the report can be read again, and its rule checked, without a run."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from soak_sampling import Details, Figures, Sample


@dataclass
class Record:
    samples: list[Sample]
    pids: dict[str, int]
    sales: int = 0
    offered: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)
    tables: tuple[dict[str, int], dict[str, int]] | None = None
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    dead: list[str] = field(default_factory=list)


def _plain(value: Any) -> Any:
    """JSON-ready: Counters as plain dicts (``asdict`` would rebuild them from pairs)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def save(record: Record, path: Path) -> None:
    path.write_text(json.dumps(_plain(record)))


def _sample(raw: dict[str, Any]) -> Sample:
    procs = {name: Figures(**fig) for name, fig in raw["procs"].items()}
    details = {
        name: Details(Counter(d["fds"]), Counter(d["threads"]), dict(d["memory"]))
        for name, d in raw.get("details", {}).items()
    }
    plain = {k: v for k, v in raw.items() if k not in ("procs", "details")}
    return Sample(**plain, procs=procs, details=details)


def load(path: Path) -> Record:
    raw = json.loads(path.read_text())
    tables = raw.get("tables")
    return Record(
        samples=[_sample(s) for s in raw["samples"]],
        pids=raw["pids"],
        sales=raw["sales"],
        offered=raw["offered"],
        actions=raw["actions"],
        errors=raw["errors"],
        first_errors=raw["first_errors"],
        tables=(tables[0], tables[1]) if tables else None,
        load_average=tuple(raw.get("load_average", (0.0, 0.0, 0.0))),
        dead=raw.get("dead", []),
    )
