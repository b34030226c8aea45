"""The hub's sync health page (/panel/sedes) shows each node's disk as its last push or pull
stated it: "lleno · 12 MB" in red, "bajo · 150 MB" in amber, plain when ok, "—" when the node
never said; the nodes whose disk needs the technician sort first with the other problems and
the summary counts them. The alarms page (/panel/alarmas) lists the sedes whose disk is bajo or
lleno, lleno first."""

from __future__ import annotations

from typing import Any

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.sync.models import Node
from domain.ids import new_id, sede_id_for
from tests.browser.conftest import HUB_ADMIN_PASSWORD, expect, sign_in_hub
from tests.sync.replication_helpers import make_hub_sede

RED = "rgb(207, 34, 46)"  # --err
AMBER = "rgb(154, 103, 0)"


def _nodes(rt: HubRuntime) -> None:
    for code in ("S03", "S04"):
        make_hub_sede(rt, code)
    now = rt.clock.now()
    disks: dict[str, tuple[str | None, int | None]] = {
        "S01": ("bajo", 150),
        "S02": ("lleno", 12),
        "S03": ("ok", 51200),
        "S04": (None, None),  # an older node: never said
    }
    with unit_of_work(rt.engine) as session:
        for code, (level, free) in disks.items():
            session.add(
                Node(
                    id=new_id(),
                    sede_id=sede_id_for(code),
                    name=f"Nodo {code}",
                    epoch=1,
                    created_at=now,
                    last_seen_at=now,
                    disk_level=level,
                    disk_free_mb=free,
                    disk_reported_at=now if level else None,
                )
            )


def _color(locator: Any) -> str:
    return str(locator.evaluate("n => getComputedStyle(n).color"))


def test_sync_health_shows_the_disk_column_and_alarms_list_it(
    hub_page: Any, hub_runtime: HubRuntime
) -> None:
    _nodes(hub_runtime)
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/sedes")
    rows = page.locator("#nodes tbody tr[data-node]")
    expect(rows).to_have_count(4)
    assert page.locator("#nodes thead th").nth(7).text_content() == "Disco"
    names = rows.locator("td:first-child").all_text_contents()
    assert names == ["Nodo S01", "Nodo S02", "Nodo S03", "Nodo S04"]  # problems first, by code
    cells = rows.locator("td.disk")
    assert cells.all_text_contents() == ["bajo · 150 MB", "lleno · 12 MB", "ok · 51,200 MB", "—"]
    assert _color(cells.nth(1)) == RED
    assert _color(cells.nth(0)) == AMBER
    plain = _color(rows.nth(2).locator("td").first)
    assert _color(cells.nth(2)) == plain and _color(cells.nth(3)) == plain
    states = rows.locator("td:last-child").all_text_contents()
    assert states == ["Revisar disco", "Revisar disco", "Al día", "Al día"]
    expect(page.locator("#nodes-summary")).to_have_text(
        "4 nodos: 2 al día · 0 con pendientes · 0 revocados · 2 con disco bajo o lleno"
    )
    page.check("#nodes-late-only")
    expect(rows).to_have_count(2)

    page.goto("/panel/alarmas")
    disks = page.locator("#disk-alarms tbody tr[data-disk]")
    expect(disks).to_have_count(2)
    assert disks.evaluate_all("rs => rs.map(r => r.dataset.sede)") == ["S02", "S01"]
    expect(disks.nth(0).locator("td.disk")).to_have_text("lleno · 12 MB")
    expect(disks.nth(0)).to_contain_text("Las ventas pueden fallar")
    expect(disks.nth(1).locator("td.disk")).to_have_text("bajo · 150 MB")
    assert _color(disks.nth(0).locator("td.disk")) == RED
    assert not page.js_errors, page.js_errors
