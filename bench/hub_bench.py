"""Shared helpers of the hub benchmarks: a migrated hub database (embedded PostgreSQL unless
DATABASE_URL is set) and sedes."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from central.config.models import Sede  # noqa: E402
from central.config.service import default_series  # noqa: E402
from central.db import unit_of_work  # noqa: E402
from central.runtime import HubRuntime  # noqa: E402
from central.settings import HubSettings  # noqa: E402
from domain.clock import SystemClock  # noqa: E402
from domain.ids import sede_id_for  # noqa: E402


def open_hub(data_dir: Path | None) -> tuple[HubRuntime, Any]:
    base = data_dir or Path(tempfile.mkdtemp(prefix="labred-hub-bench-"))
    settings = HubSettings(data_dir=base, database_url=os.environ.get("DATABASE_URL"),
                           jwt_secret="bench-" + "k" * 40)  # fmt: skip
    rt = HubRuntime.open(settings)
    rt.migrate()
    return rt, base


def make_sedes(rt: HubRuntime, n: int) -> list[str]:
    now = SystemClock().now()
    ids = []
    with unit_of_work(rt.engine) as session:
        for k in range(1, n + 1):
            code = f"S{k:02d}" if k < 100 else f"S{k}"
            sid = sede_id_for(code)
            ids.append(sid)
            if session.get(Sede, sid) is None:
                session.add(Sede(id=sid, code=code, name=f"Sede {code}",
                                 series=default_series(k), updated_at=now))  # fmt: skip
    return ids


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
