"""The disk of each sede's node, as its pushes and pulls state it (``sync.protocol.NodeDisk``).

The node measures the free space of its data directory right before every push and pull
(``edge.sync.worker.disk_report``); the hub keeps the last level, free MB and when it heard them
on the node's row. An older node states nothing: its disk stays unknown (None), never "ok". The
sync health page, the alarms page and ``/metrics`` read these columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from central.config.sede_order import sede_code_sql
from central.sync.models import Node
from sync.protocol import NodeDisk

#: Levels that need the technician (``bajo``: below ``disk_low_mb``; ``lleno``: sales may fail).
PROBLEM_LEVELS = ("lleno", "bajo")


def note_disk(node: Node, disk: NodeDisk | None, now: dt.datetime) -> None:
    """Keep ``disk`` on ``node`` as heard at ``now`` (hub time); nothing when not stated."""
    if disk is None:
        return
    node.disk_level = disk.level
    node.disk_free_mb = disk.free_mb
    node.disk_reported_at = now


@dataclass(frozen=True)
class DiskAlarm:
    """A sede whose node last said its disk is ``bajo`` or ``lleno``."""

    sede_id: str
    sede_code: str
    sede_name: str
    node_id: str
    node_name: str
    level: str
    free_mb: int
    reported_at: dt.datetime | None


_ALARMS_SQL = f"""
SELECT n.sede_id, coalesce(s.code, n.sede_id), coalesce(s.name, ''), n.id, n.name,
       n.disk_level, coalesce(n.disk_free_mb, 0), n.disk_reported_at
FROM sync_node n LEFT JOIN sede s ON s.id = n.sede_id
WHERE NOT n.revoked AND n.disk_level = ANY(:levels) AND n.sede_id = ANY(:sedes)
ORDER BY CASE n.disk_level WHEN 'lleno' THEN 0 ELSE 1 END, {sede_code_sql("s.code")}, n.name
"""


def disk_alarms(*, session: Session, sede_ids: list[str]) -> list[DiskAlarm]:
    """Live nodes of ``sede_ids`` whose disk is ``lleno`` (first) or ``bajo``, by sede code."""
    if not sede_ids:
        return []
    rows = session.connection().execute(
        text(_ALARMS_SQL), {"levels": list(PROBLEM_LEVELS), "sedes": sede_ids}
    )
    return [
        DiskAlarm(
            sede_id=str(r[0]),
            sede_code=str(r[1]),
            sede_name=str(r[2]),
            node_id=str(r[3]),
            node_name=str(r[4]),
            level=str(r[5]),
            free_mb=int(r[6]),
            reported_at=r[7],
        )
        for r in rows
    ]


__all__ = ["PROBLEM_LEVELS", "DiskAlarm", "disk_alarms", "note_disk"]
