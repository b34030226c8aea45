"""A local demo laboratory system and its code map (every demo catalog test mapped to a lab code
and its LOINC), written straight into the edge's mirror tables.

Laboratory systems, code maps and each sede's assignment come from the hub (``/api/lab``,
replicated; ``labred hub seed --lab-port-base`` points them at the demo's stand-ins). This
loader is only for a node set up without a hub (tests, a bench): it points the sede at a
laboratory stand-in (``labred sandbox lab``). The MLLP results listener is this machine's
``lab_listener`` (edge.toml / ``LABRED_EDGE_LAB_LISTENER``), not a row. A hub snapshot replaces
these rows.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from domain.clock import Clock
from edge.catalog.models import CatalogService
from edge.labsync.models import LabCodeMap, LabSystem

_NS = uuid.UUID("0b7e3c52-9d41-4e0a-8a6f-3c5d2e1f4a70")


def demo_lab_id(name: str) -> str:
    return str(uuid.uuid5(_NS, name))


def load_demo_lab_system(
    session: Session,
    *,
    sede_ids: list[str],
    clock: Clock,
    protocol: str = "mllp",
    host: str = "127.0.0.1",
    port: int = 2576,
    url: str = "",
    folder: str = "",
    token: str = "demo-lab-token",
) -> LabSystem:
    """Create (or update) the demo lab system and map every test of the local catalog (load
    the catalog first); idempotent."""
    now = clock.now()
    lab_id = demo_lab_id("LABCENTRAL")
    lab = session.get(LabSystem, lab_id)
    if lab is None:
        lab = LabSystem(id=lab_id, code="LABCENTRAL", name="LABCENTRAL")
    lab.protocol, lab.host, lab.port, lab.url, lab.folder = protocol, host, port, url, folder
    lab.token, lab.sede_ids, lab.active, lab.updated_at = token, list(sede_ids), True, now
    session.add(lab)
    services = session.exec(
        select(CatalogService).where(CatalogService.is_panel == False)  # noqa: E712
    ).all()
    for service in services:  # every test of the local catalog (panels go as their tests)
        map_id = demo_lab_id(f"map:{service.code}")
        if session.get(LabCodeMap, map_id) is None:
            session.add(
                LabCodeMap(
                    id=map_id,
                    lab_system_id=lab_id,
                    service_id=service.id,
                    code=service.code.replace("-", ""),
                    loinc=service.loinc,
                    name=service.name,
                    updated_at=now,
                )
            )
    return lab
