"""By-hand measurement (not collected: the name does not start with ``test_``) of every hub page
with 6 and with 100 sedes, as admin and as a supervisor of three sedes, at 1366x768 and
1920x1080: time until usable (navigation start to ``body[data-ready]``, measured in the browser),
rows and options rendered, horizontal overflow; screenshots under /tmp/labred-hub-shots (or
``LABRED_HUB_SHOTS``).

    .venv/bin/pytest -s -q -p no:randomly tests/browser/measure_hub_pages.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from central.settings import HubSettings
from tests.browser.conftest import HUB_ADMIN_PASSWORD, new_tab, ready, sign_in_hub
from tests.browser.hub100 import SUPERVISOR, ManySedes, build, hub_database
from tests.procs import serve_in_thread

PAGES = ("tablero", "sedes", "conflictos", "cierres", "catalogo", "usuarios", "sedes-series",
         "parametros", "plantillas", "notificaciones", "alarmas", "convenios", "laboratorios",
         "auditoria")  # fmt: skip
SHOTS = Path(os.environ.get("LABRED_HUB_SHOTS", "/tmp/labred-hub-shots"))
READY_AT = """new MutationObserver((_, obs) => {
  if (document.body && document.body.hasAttribute('data-ready')) {
    window.__readyAt = performance.now(); obs.disconnect(); }
}).observe(document, {attributes: true, subtree: true});"""
STATS = """() => ({ready: window.__readyAt, rows: document.querySelectorAll('main tbody tr').length,
  options: Math.max(0, ...[...document.querySelectorAll('main select')].map(s => s.options.length)),
  checks: document.querySelectorAll('main input[type=checkbox]').length,
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth})"""


@pytest.fixture(scope="module", params=[6, 100])
def many(request: Any, pg_base_url: str, hub_template: str, tmp_path_factory: Any) -> Iterator[Any]:
    with hub_database(pg_base_url, hub_template) as url:
        data = tmp_path_factory.mktemp("hub")
        settings = HubSettings(data_dir=data, database_url=url, jwt_secret="t-" + "y" * 40,
                               rate_limit_per_minute=100000)  # fmt: skip
        hub: ManySedes = build(settings, sedes=request.param, password=HUB_ADMIN_PASSWORD)
        from central.app import create_app

        old = os.environ.get("Y_OLD_WEB")  # a copy of central/web of another commit: its pages
        if old:
            import jinja2

            from central.web import router

            router.STATIC_DIR = Path(old) / "static"
            router.templates.env.loader = jinja2.FileSystemLoader(Path(old) / "templates")

        with serve_in_thread(create_app(settings, runtime=hub.runtime)) as base:
            yield hub, base
        hub.runtime.close()


@pytest.mark.parametrize("who", ["admin", SUPERVISOR])
@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_measure(browser: Any, many: Any, who: str, size: tuple[int, int]) -> None:
    hub, base = many
    SHOTS.mkdir(exist_ok=True)
    page = new_tab(browser, base, height=size[1], timeout_ms=30_000)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.add_init_script(READY_AT)
    sign_in_hub(page, who, HUB_ADMIN_PASSWORD)
    for name in PAGES:
        times = []
        for _ in range(3):
            page.goto("/panel" if name == "tablero" else f"/panel/{name}")
            ready(page)
            stats = page.evaluate(STATS)
            times.append(stats["ready"])
        times.sort()
        print(
            f"Y {hub.sedes:3d} {who:18s} {size[0]} {name:15s} median {times[1]:6.0f} ms  "
            f"rows {stats['rows']:5d} opts {stats['options']:4d} checks {stats['checks']:4d} "
            f"overflow {stats['overflow']}"
        )
        page.screenshot(path=str(SHOTS / f"{hub.sedes}-{who}-{size[0]}-{name}.png"), full_page=True)
    assert not page.js_errors, page.js_errors
    page.context.close()
