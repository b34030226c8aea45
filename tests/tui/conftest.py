"""TUI fixtures: a real edge app served by uvicorn in a thread (stoppable and restartable on
the same port), and helpers to drive the app through Textual's Pilot."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from textual.pilot import Pilot

from domain.clock import SystemClock
from domain.permissions import Role
from edge.app import create_app
from edge.catalog.demo import load_demo_catalog
from edge.db import unit_of_work
from edge.runtime import EdgeRuntime
from edge.settings import EdgeSettings
from tests.edge.factories import add_users
from tests.procs import free_port, init_edge
from tests.tui.keys import type_keys
from tui.api import EdgeApi
from tui.app import ReceptionApp
from tui.settings import TuiSettings

ADMIN_PASSWORD = "admin-clave-segura"  # the edge_template fixture's admin
NODE_ADMIN_PASSWORD = "Clave-Segura-2026"  # the admin of node_template
CASHIER_PASSWORD = "Clave-Cajera-2026"  # node_template's "cajera" and "supervisora"


class LiveEdge:
    """An edge API on 127.0.0.1:<port>; ``stop()`` and ``start()`` again keep its database."""

    def __init__(self, runtime: EdgeRuntime) -> None:
        self.runtime = runtime
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        app = create_app(self.runtime.settings, runtime=self.runtime)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("the edge did not start")

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=20)
            assert not self._thread.is_alive(), "the edge did not stop"
        self._server = self._thread = None

    def reachable(self) -> bool:
        try:
            return httpx.get(self.url + "/health", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture
def live_edge(edge_settings: EdgeSettings) -> Iterator[LiveEdge]:
    settings = edge_settings.model_copy(update={"rate_limit_per_minute": 100_000})
    rt = EdgeRuntime.open(settings)
    with unit_of_work(rt.engine) as session:
        load_demo_catalog(session, clock=SystemClock())
    edge = LiveEdge(rt)
    edge.start()
    yield edge
    edge.stop()
    rt.engine.dispose()


@pytest.fixture(scope="session")
def node_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node made by ``labred edge init --demo-catalog --sede-code S01`` (admin /
    NODE_ADMIN_PASSWORD) with a receptionist "cajera" and a supervisor "supervisora" (both
    CASHIER_PASSWORD): made once per test process, copied by ``node_data``. Never served."""
    data = tmp_path_factory.mktemp("node-template") / "edge"
    init_edge(data, NODE_ADMIN_PASSWORD, extra=("--sede-code", "S01"))
    users = ((Role.RECEPCIONISTA, "cajera"), (Role.SUPERVISOR, "supervisora"))
    return add_users(data, *users, password=CASHIER_PASSWORD)


@pytest.fixture
def node_data(node_template: Path, tmp_path: Path) -> Path:
    """The test's own node: a copy of ``node_template`` (milliseconds; ``labred edge init``
    and the two users take about 2 s), for ``labred edge serve --data-dir``."""
    return Path(shutil.copytree(node_template, tmp_path / "edge"))


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[[str], ReceptionApp]]:
    apis: list[EdgeApi] = []

    def build(url: str) -> ReceptionApp:
        api = EdgeApi(httpx.Client(base_url=url, timeout=3.0), retry_delay=0.05)
        apis.append(api)
        settings = TuiSettings(
            edge_url=url,
            download_dir=tmp_path / "tickets",
            draft_file=tmp_path / "venta-en-curso.json",
            probe_interval=0.3,
            status_interval=1.0,
            offline_retry=0.2,
            offline_give_up=30,
            search_delay=0,
        )
        return ReceptionApp(api, settings=settings, blink=False)

    yield build
    for api in apis:
        api.close()


async def until(pilot: Pilot[None], predicate: Callable[[], object], timeout: float = 15) -> None:
    """Let the app run until ``predicate()`` is true (workers answer from threads)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await pilot.pause(0.05)


async def type_in(pilot: Pilot[None], input_id: str, text: str) -> None:
    """Focus an input by id and type ``text`` key by key."""
    widget = pilot.app.screen.query_one(f"#{input_id}")
    widget.focus()
    await pilot.pause()
    await type_keys(pilot, text)


async def sign_in(
    pilot: Pilot[None], username: str = "admin", password: str = ADMIN_PASSWORD
) -> None:
    from tui.screens.home import HomeScreen

    await until(pilot, lambda: pilot.app.screen.query("#f-username-input"))
    await type_in(pilot, "f-username-input", username)
    await type_in(pilot, "f-password-input", password)
    await pilot.press("enter")
    await on_screen(pilot, HomeScreen)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def on_screen(pilot: Pilot[None], cls: type) -> None:
    """Wait until ``cls`` is the current screen and mounted, with its children."""
    await until(pilot, lambda: isinstance(pilot.app.screen, cls) and pilot.app.screen.is_mounted)
    await pilot.pause()
