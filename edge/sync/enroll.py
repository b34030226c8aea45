"""``labred edge enroll --hub URL --code C``: exchange a one-time code for node credentials.

The credentials are stored in ``DATA_DIR/secrets/node.json`` (mode 0600); ``sync_state`` takes
the node id, sede and epoch the hub issued (a new epoch at every enrolment, so a restored or
copied database cannot push as the live node). Then the node learns the last correlative of each
of its series from the hub (the fence the numbering respects) and does a first pull, which brings
configuration, users, catalog and patients.

Re-enrolling a restored node also takes back the records the hub holds beyond the restored point
and moves the outbox above the hub's mark (:mod:`edge.sync.restore`), in the same transaction
that stores the new epoch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, delete, update

from domain.clock import Clock
from domain.errors import LabError
from edge.db import read_session, unit_of_work
from edge.sync.apply import apply_reset
from edge.sync.models import SeriesFence, SyncStatus
from edge.sync.restore import fetch_lost, resume
from sync import outbox
from sync.client import SyncClient
from sync.protocol import EnrollRequest

CREDENTIALS = Path("secrets") / "node.json"


def credentials_path(data_dir: Path) -> Path:
    return data_dir / CREDENTIALS


def load_credentials(data_dir: Path) -> dict[str, Any] | None:
    path = credentials_path(data_dir)
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data


def save_credentials(data_dir: Path, data: dict[str, Any]) -> Path:
    path = credentials_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def make_client(
    hub_url: str, creds: dict[str, Any] | None, *, timeout: float = 15.0, attempts: int = 4
) -> SyncClient:
    http = httpx.Client(base_url=hub_url.rstrip("/"), timeout=timeout)
    return SyncClient(
        http,
        node_id=(creds or {}).get("node_id"),
        secret=(creds or {}).get("secret"),
        attempts=attempts,
    )


def learn_series(engine: Engine, client: SyncClient, clock: Clock) -> dict[str, int]:
    """Fetch the hub's last correlative per series into the fence; on failure switch the node
    to its contingency series (``SyncStatus.use_contingency``)."""
    try:
        state = client.series_state()
    except LabError:
        with unit_of_work(engine) as session:
            conn = session.connection()
            _ensure_status(conn)
            conn.execute(
                update(SyncStatus.__table__).values(use_contingency=True, fence_pending=True)  # type: ignore[attr-defined]
            )
        return {}
    now = clock.now()
    with unit_of_work(engine) as session:
        conn = session.connection()
        fence = SeriesFence.__table__  # type: ignore[attr-defined]
        conn.execute(delete(fence))
        if state.series:
            conn.execute(
                fence.insert(),
                [
                    {"series": s, "last_number": n, "learned_at": now}
                    for s, n in state.series.items()
                ],
            )
        _ensure_status(conn)
        conn.execute(
            update(SyncStatus.__table__).values(fence_pending=False, use_contingency=False)  # type: ignore[attr-defined]
        )
    return state.series


def _ensure_status(conn: Any) -> None:
    from edge.sync.service import _status_row

    _status_row(conn)


def enroll(
    engine: Engine,
    data_dir: Path,
    *,
    hub_url: str,
    code: str,
    clock: Clock,
    client: SyncClient | None = None,
    first_pull: bool = True,
) -> dict[str, Any]:
    """Enrol this node; returns what was stored (without the secret)."""
    from edge.sync.service import APP_VERSION, pull_changes

    with read_session(engine) as session:
        state = outbox.ensure_state(session.connection())
    anon = client or make_client(hub_url, None)
    resp = anon.enroll(
        EnrollRequest(code=code, acked_seq=state["acked_seq"], app_version=APP_VERSION)
    )
    creds = {
        "hub_url": hub_url,
        "node_id": resp.node_id,
        "secret": resp.secret,
        "sede_id": resp.sede_id,
        "epoch": resp.epoch,
    }
    save_credentials(data_dir, creds)
    authed = client or make_client(hub_url, creds)
    authed.node_id, authed.secret = resp.node_id, resp.secret
    base = min(int(state["acked_seq"]), resp.resume_seq)
    lost = fetch_lost(authed, after_seq=base, upto=resp.resume_seq)
    # Records written back reference hub-owned rows (patients, users) the restored copy may
    # lack: the full snapshot of the first pull is applied first, in the same transaction.
    snapshot = authed.pull(0, digests=False) if lost else None
    with unit_of_work(engine) as session:
        conn = session.connection()
        outbox.ensure_state(conn)
        conn.execute(
            update(outbox.sync_state)
            .where(outbox.sync_state.c.id == 1)
            .values(
                node_id=resp.node_id,
                sede_id=resp.sede_id,
                epoch=resp.epoch,
                pull_cursor=snapshot.next_cursor if snapshot is not None else 0,
                updated_at=clock.now(),
            )
        )
        if snapshot is not None:
            apply_reset(conn, snapshot.changes, now=clock.now())
        resumed = resume(conn, lost=lost, resume_seq=resp.resume_seq)
        _ensure_status(conn)
        conn.execute(
            update(SyncStatus.__table__).values(hub_url=hub_url, blocked=None, fence_pending=True)  # type: ignore[attr-defined]
        )
    series = learn_series(engine, authed, clock)
    if first_pull:
        pull_changes(engine, authed, clock)
    return {
        "node_id": resp.node_id,
        "sede_id": resp.sede_id,
        "epoch": resp.epoch,
        "series": series,
        "credentials": str(credentials_path(data_dir)),
        "resume_seq": resumed.resume_seq,
        "reimported": resumed.reimported,
        "renumbered": resumed.renumbered,
        "reimport_skipped": resumed.skipped,
    }
