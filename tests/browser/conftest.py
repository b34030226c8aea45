"""Fixtures of the browser tests: a real edge process, a hub served over real HTTP, and
headless Chromium via Playwright.

Chromium comes from the system (Debian package ``chromium``); Playwright's own browser
download does not work here. Without it every browser test skips, saying so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from domain.ids import new_id
from domain.permissions import Role
from edge.db import unit_of_work
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from tests.edge.factories import make_user
from tests.procs import free_port, init_edge, labred, serve_in_thread, serving_edge, terminate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
SKIP_REASON = "Chromium not installed (apt-get install chromium; .ci/run installs it)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=es-PE",
]
#: Chromium takes the format of ``<input type=date>`` (dd/mm/aaaa or mm/dd/yyyy) from the
#: process's language, not from the context's locale: the browser starts in Spanish (Peru)
#: like the counters' machines. The Spanish texts come with Debian's ``chromium-l10n``;
#: without them Chromium stays in en-US whatever it is told (the locale test says so).
CHROMIUM_ENV = {"LANG": "es_PE.UTF-8", "LANGUAGE": "es_PE:es"}
SPANISH_PAK = Path("/usr/lib/chromium/locales/es-419.pak")  # Debian's chromium-l10n
ADMIN_PASSWORD = "admin-clave-segura-1"
PASSWORD = "clave-de-prueba-123"
XSS_NAME = "<script>alert(1)</script>"
XSS_DOC = "70000001"
HUB_ADMIN_PASSWORD = "admin-central-clave-1"


@dataclass(frozen=True)
class EdgeNode:
    url: str
    data_dir: Path
    receptionist: str
    supervisor: str
    xss_patient_id: str


def _seed(data_dir: Path) -> tuple[str, str, str]:
    """Two users and a patient whose name is markup (as if it came from another system)."""
    rt = EdgeRuntime.open(load_edge_settings(data_dir))
    try:
        sede = rt.sede_id
        assert sede is not None
        recep = make_user(rt, Role.RECEPCIONISTA, username="mrojas", sede_ids=[sede])
        sup = make_user(rt, Role.SUPERVISOR, username="supervisora", sede_ids=[sede])
        now = dt.datetime.now(dt.UTC)
        patient = Patient(
            id=new_id(),
            doc_type="1",
            doc_number=XSS_DOC,
            first_names=XSS_NAME,
            last_names="<img src=x onerror=alert(2)>",
            home_sede_id=sede,
            created_at=now,
            updated_at=now,
        )
        with unit_of_work(rt.engine) as session:
            session.add(patient)
        return recep.username, sup.username, patient.id
    finally:
        rt.engine.dispose()


def initialised_edge(tmp_path_factory: pytest.TempPathFactory, dest: Path) -> Path:
    """A copy at ``dest`` of a node made by ``labred edge init --demo-catalog`` (sede S01, admin
    / ADMIN_PASSWORD). The node is initialised once per test process (about 1.6 s) and copied
    for each module's node (milliseconds); no process has it open meanwhile."""
    template = tmp_path_factory.getbasetemp() / "edge-initialised"
    if not template.is_dir():
        building = tmp_path_factory.mktemp("edge-initialising") / "edge"
        init_edge(building, ADMIN_PASSWORD)
        building.rename(template)  # only a finished node becomes the template
    shutil.copytree(template, dest)
    return dest


@contextlib.contextmanager
def serve_node(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    env: dict[str, str],
    *,
    worker: bool = False,
) -> Iterator[EdgeNode]:
    """A node made by ``labred edge init --demo-catalog`` (:func:`initialised_edge`) with the
    seeded users and patient, then ``labred edge serve`` (and ``labred edge worker`` when
    asked) with ``env`` until the block ends."""
    if not HAVE_CHROMIUM:
        pytest.skip(reason=SKIP_REASON)
    base = tmp_path_factory.mktemp(name)
    data = initialised_edge(tmp_path_factory, base / "edge")
    recep, sup, xss_id = _seed(data)
    with contextlib.ExitStack() as stack:
        if worker:
            work = labred("edge", "worker", "--data-dir", str(data), log=base / "worker.log",
                          env=env)  # fmt: skip
            stack.callback(terminate, work)
        edge = stack.enter_context(serving_edge(data, log=base / "edge.log", env=env))
        yield EdgeNode(edge.url, data, recep, sup, xss_id)


@pytest.fixture(scope="module")
def edge_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeNode]:
    dead_hub = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the hub is "down"
    env = {"LABRED_EDGE_HUB_URL": dead_hub, "LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "100000"}
    with serve_node(tmp_path_factory, "edge-browser", env) as node:
        yield node


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("screens")
    print(f"\nscreenshots: {out}")
    yield out
    shared = Path("/tmp/labred-screens")
    if shared.is_dir():
        for png in out.glob("*.png"):
            shutil.copy(png, shared / png.name)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the browser tests a process runs one after another (starting
    Playwright's driver and Chromium takes 1-4 s); each test opens its own context (no shared
    cookies or storage). Package scope, not session: while Playwright's sync API is up, its
    event loop counts as running in this thread, which ``asyncio.run`` (anyio tests) refuses."""
    if not HAVE_CHROMIUM:
        pytest.skip(reason=SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, **CHROMIUM_ENV}
        )
        yield b
        b.close()


BROWSER_MARKS = (
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=SKIP_REASON),
)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that opens Chromium (the ``browser`` fixture, directly or through ``page``,
    ``hub_page``, …) is marked browser and slow, and skips at once without Chromium: the
    modules need no ``pytestmark`` of their own."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            for mark in BROWSER_MARKS:
                item.add_marker(mark)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(
    browser: Any, edge_node: EdgeNode, screens: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh browser context (no cookies); script dialogs fail the test (XSS canary)."""
    context = browser.new_context(
        base_url=edge_node.url, locale="es-PE", timezone_id="America/Lima",
        viewport={"width": 1366, "height": 900},
    )  # fmt: skip
    context.set_default_timeout(10_000)
    pg = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: Any) -> None:
        # Failed fetches (a 404 "no cash session open", a 401 before sign-in) are answers
        # the pages handle, not script errors.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    pg.on("dialog", on_dialog)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", on_console)
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    if request.node.stash.get(_FAILED, False):
        for i, open_page in enumerate(context.pages):
            open_page.screenshot(path=str(screens / f"FAILED-{request.node.name}-{i}.png"))
    context.close()
    assert not dialogs, f"a script dialog opened (injected markup ran?): {dialogs}"


def new_tab(
    browser: Any, base_url: str, *, timeout_ms: int = 10_000, height: int = 900, **options: Any
) -> Any:
    """A page in a fresh context (es-PE, America/Lima, 1366×``height``, no cookies). Page errors
    and script dialogs (a dialog means injected markup ran) collect in ``page.js_errors``; close
    it with ``page.context.close()``."""
    context = browser.new_context(
        base_url=base_url, locale="es-PE", timezone_id="America/Lima",
        viewport={"width": 1366, "height": height}, **options,
    )  # fmt: skip
    context.set_default_timeout(timeout_ms)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.js_errors = errors
    return pg


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def ready(page: Any) -> None:
    page.locator("body[data-ready]").wait_for()


def shot(page: Any, screens: Path, name: str) -> None:
    page.screenshot(path=str(screens / f"{name}.png"), full_page=True)


@pytest.fixture
def hub_url(hub_runtime: Any) -> Iterator[str]:
    """The hub app (demo company, sedes S01 and S02, admin / HUB_ADMIN_PASSWORD, two days of
    sales) served by uvicorn over real HTTP."""
    from central.app import create_app
    from central.db import unit_of_work as hub_uow
    from central.seed import seed_demo
    from domain.clock import business_date
    from tests.central.reconciliation.builders import SedeDay

    if not HAVE_CHROMIUM:
        pytest.skip(reason=SKIP_REASON)
    with hub_uow(hub_runtime.engine) as session:
        seed_demo(session, clock=hub_runtime.clock, sedes=2, admin_password=HUB_ADMIN_PASSWORD)
    today = business_date(hub_runtime.clock.now())
    for code, back, totals in (("S01", 1, ("80.00", "45.50")), ("S02", 2, ("120.00",))):
        day = SedeDay(hub_runtime.engine, code, today - dt.timedelta(days=back))
        for total in totals:
            day.payment(day.order(total, services=[("HEM01", "Hemograma", total)]))
        day.push(day.all_rows())
    with serve_in_thread(create_app(hub_runtime.settings, runtime=hub_runtime)) as url:
        yield url


@pytest.fixture
def hub_page(browser: Any, hub_url: str) -> Iterator[Any]:
    """A fresh context on the hub; script dialogs fail the test, page errors are collected."""
    context = browser.new_context(
        base_url=hub_url, locale="es-PE", timezone_id="America/Lima",
        viewport={"width": 1366, "height": 900},
    )  # fmt: skip
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not dialogs, f"a script dialog opened: {dialogs}"


def sign_in_reception(page: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in on the reception pages of the page's edge (base URL) and wait for the shell."""
    page.goto("/recepcion")
    page.wait_for_url(re.compile(r"/recepcion/ingresar\?next="))
    ready(page)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recepcion$"))
    ready(page)
    expect(page.locator("#hdr-user")).not_to_have_text("…")


def sign_in_hub(page: Any, username: str, password: str, *, to: str = "/panel") -> None:
    page.goto(to)
    page.wait_for_url(re.compile(r"/panel/ingresar\?next="))
    ready(page)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(to) + "$"))
    ready(page)
