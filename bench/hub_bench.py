"""Shared helpers of the hub benchmarks: a migrated hub database (embedded PostgreSQL unless
DATABASE_URL is set) and sedes."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlmodel import select  # noqa: E402

from central.auth.models import HubUser  # noqa: E402
from central.auth.service import principal_for  # noqa: E402
from central.auth.tokens import issue_access_token  # noqa: E402
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


def ensure_orders(rt: HubRuntime, n: int, generate: Callable[[], None], what: str) -> None:
    """Keep the ``n`` order records an earlier run left in ``--data-dir``; otherwise empty
    ``sync_record`` and ``generate()`` them (``what`` says how, for the progress line)."""
    with rt.engine.connect() as conn:
        have = conn.execute(
            text("SELECT count(*) FROM sync_record WHERE record_type = 'order'")
        ).scalar()
    if have != n:
        print(f"generating {n:,} orders over {what} ...", flush=True)
        with rt.engine.begin() as conn:
            conn.execute(text("TRUNCATE sync_record"))
        generate()


def admin_token(rt: HubRuntime, now: dt.datetime) -> str:
    """An access token of the benches' admin (created once per database)."""
    with unit_of_work(rt.engine) as session:
        user = session.exec(select(HubUser).where(HubUser.username == "bench-admin")).first()
        if user is None:
            user = HubUser(username="bench-admin", full_name="Bench", role="admin",
                           password_hash="x", sede_ids=[], updated_at=now)  # fmt: skip
            session.add(user)
    return issue_access_token(principal_for(user), secret=rt.settings.jwt_secret, now=now)
