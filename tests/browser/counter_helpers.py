"""The counter walkthrough's steps (tests/browser/test_counter_walkthrough.py): the node's
people, a 1366×768 tab, and the steps every sale repeats."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from domain.ids import new_id
from domain.permissions import Role
from edge.db import unit_of_work
from edge.patients.models import Patient
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from tests.browser.conftest import expect, initialised_edge, new_tab, ready
from tests.edge.factories import make_user
from tests.procs import EdgeProcess, free_port, serving_edge

NUNEZ_DNI = "41234567"
CASHIERS = ("cajera1", "cajera2", "cajera3", "cajera4")
SUPERVISOR = "jefa"
COMPANY_RUC = "20131312955"


def seed(data: Path) -> None:
    """Four cashiers, a supervisor and NÚÑEZ QUISPE (upper case, as the service keeps names)."""
    rt = EdgeRuntime.open(load_edge_settings(data))
    try:
        sede = rt.sede_id
        assert sede is not None
        for name in CASHIERS:
            make_user(rt, Role.RECEPCIONISTA, username=name, sede_ids=[sede])
        make_user(rt, Role.SUPERVISOR, username=SUPERVISOR, sede_ids=[sede])
        now = dt.datetime.now(dt.UTC)
        with unit_of_work(rt.engine) as session:
            session.add(
                Patient(
                    id=new_id(), doc_type="1", doc_number=NUNEZ_DNI, first_names="MARÍA JOSÉ",
                    last_names="NÚÑEZ QUISPE", home_sede_id=sede, created_at=now, updated_at=now,
                )
            )  # fmt: skip
    finally:
        rt.engine.dispose()


@contextmanager
def counter_node(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[EdgeProcess]:
    """A real ``labred edge serve`` (a fresh :func:`initialised_edge` under a new directory
    ``name``) with the counter's people (:func:`seed`), a hub that never answers and no
    per-user rate limit."""
    base = tmp_path_factory.mktemp(name)
    data = initialised_edge(tmp_path_factory, base / "edge")
    seed(data)
    env = {
        "LABRED_EDGE_HUB_URL": f"http://127.0.0.1:{free_port()}",
        "LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "100000",
    }
    with serving_edge(data, log=base / "edge.log", env=env) as node:
        yield node


def laptop_tab(browser: Any, url: str) -> Any:
    """A tab at 1366×768; page errors and script dialogs collect in ``js_errors``."""
    return new_tab(browser, url, height=768)


def shot(page: Any, screens: Path, name: str) -> None:
    page.screenshot(path=str(screens / f"counter-{name}.png"))


def open_cash(page: Any) -> None:
    page.keyboard.press("F6")
    page.wait_for_url(re.compile(r"/recepcion/caja$"))
    ready(page)
    page.locator("#open-form input[name='denominations.50.00']").fill("2")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#cash-state")).to_contain_text("Caja abierta")


def pick_nunez(page: Any) -> None:
    page.keyboard.press("F3")
    page.wait_for_url(re.compile(r"/recepcion/ordenes/nueva"))
    ready(page)
    page.locator("#patient-q").fill("nunez")  # no tilde, no Ñ: still NÚÑEZ
    expect(page.locator("#patient-results [role=option]").first).to_contain_text("NÚÑEZ")
    page.locator("#patient-q").press("Enter")
    expect(page.locator("#patient-name")).to_have_text("NÚÑEZ QUISPE, MARÍA JOSÉ")


def add_service(page: Any, query: str, expected: str) -> None:
    box = page.locator("#svc-q")
    box.fill(query)
    expect(page.locator("#svc-results [role=option]").first).to_contain_text(expected)
    box.press("Enter")
    expect(page.locator("#cart tbody")).to_contain_text(expected)


def order_url(page: Any) -> str:
    page.locator("#done-order").click()
    page.wait_for_url(re.compile(r"/recepcion/ordenes/[0-9a-f-]{36}$"))
    ready(page)
    return str(page.url)
