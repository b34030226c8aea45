"""A price changed on the hub's dashboard reaches a sede's reception, across real processes.

Real ``labred hub serve`` (with its PostgreSQL) and ``labred edge serve`` + ``labred edge worker``
processes, the edge enrolled over HTTP; the edge worker pulls the change feed over real HTTP.
An admin changes the price of the hemograma in /panel/catalogo (headless Chromium); the
receptionist of S01 (a hub user, replicated to the edge) then starts a new order at the sede
and sees the new price in the catalog search and in the order's total.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.ids import sede_id_for
from tests.browser.conftest import (
    expect,
    ready,
    shot,
    sign_in_hub,
)
from tests.procs import free_port, init_edge, labred, run_labred, running, serving_edge, terminate

PASSWORD = "clave-demo-central-1"
CODE = "HEM-001"  # Hemograma completo, S/ 35.00 in the demo catalog
NEW_PRICE = "41.90"


@dataclass(frozen=True)
class Chain:
    hub_url: str
    edge_url: str
    edge_db: Path


def _ok(result: Any) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    hub_dir, edge_dir = tmp_path / "hub", tmp_path / "edge"
    with ThreadPoolExecutor(1) as pool:  # the edge is made while the hub's database is
        edge_made = pool.submit(init_edge, edge_dir, PASSWORD, extra=("--sede-code", "S01"))
        _ok(run_labred("migrate", "hub", "--data-dir", str(hub_dir)))
        (hub_dir / "hub.toml").write_text("rate_limit_per_minute = 100000\n")
        _ok(run_labred("hub", "seed", "--data-dir", str(hub_dir), "--sedes", "1",
                       "--admin-password", PASSWORD))  # fmt: skip
        edge_made.result()
    hub_port = free_port()
    hub_url = f"http://127.0.0.1:{hub_port}"
    env = {"LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "100000"}
    with running(
        "hub", "serve", "--data-dir", str(hub_dir), "--port", str(hub_port),
        ready_url=f"{hub_url}/ready", log=tmp_path / "hub.log",
    ):  # fmt: skip
        with httpx.Client(base_url=hub_url, timeout=30) as hub:
            token = hub.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            assert token.status_code == 200, token.text
            hub.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            node = hub.post("/api/sync/nodes", json={"sede_id": sede_id_for("S01"), "name": "S01"})
            assert node.status_code in (200, 201), node.text
            code = node.json()["enrolment_code"]
        _ok(run_labred("edge", "enroll", "--data-dir", str(edge_dir), "--hub", hub_url,
                       "--code", code, env=env))  # fmt: skip
        worker = labred("edge", "worker", "--data-dir", str(edge_dir),
                        log=tmp_path / "edge-worker.log", env=env)  # fmt: skip
        try:
            with serving_edge(edge_dir, log=tmp_path / "edge.log", env=env) as edge:
                yield Chain(hub_url, edge.url, edge_dir / "edge.sqlite3")
        finally:
            terminate(worker)


def _edge_price_cents(db: Path) -> int | None:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        row = conn.execute("SELECT price_cents FROM catalog_service WHERE code = ?", (CODE,))
        found = row.fetchone()
    return None if found is None else int(found[0])


def test_price_changed_on_the_dashboard_shows_on_a_new_order_at_the_sede(
    browser: Any, chain: Chain, screens: Path
) -> None:
    assert _edge_price_cents(chain.edge_db) == 3500
    context = browser.new_context(locale="es-PE", timezone_id="America/Lima",
                                  viewport={"width": 1366, "height": 900})  # fmt: skip
    context.set_default_timeout(15_000)
    errors: list[str] = []
    try:
        hub = context.new_page()
        hub.on("pageerror", lambda e: errors.append(str(e)))
        sign_in_hub(hub, "admin", PASSWORD, to=f"{chain.hub_url}/panel/catalogo")
        hub.fill("#svc-search input[name=q]", CODE)
        hub.keyboard.press("Enter")
        expect(hub.locator("#services tbody tr")).to_have_count(1)  # the search's answer
        row = hub.locator(f"#services tr[data-code='{CODE}']")
        expect(row.locator("[data-price]")).to_have_text("S/ 35.00")
        row.locator("input[name=price]").fill(NEW_PRICE)
        row.locator("input[name=reason]").fill("Nuevo tarifario")
        row.locator("button").click()
        expect(row.locator("[data-price]")).to_have_text(f"S/ {NEW_PRICE}")
        shot(hub, screens, "sync-01-precio-central")

        # the edge worker pulls the change feed (every 5 s) over HTTP
        deadline = time.monotonic() + 60
        while _edge_price_cents(chain.edge_db) != 4190:
            assert time.monotonic() < deadline, "the new price did not reach the sede in 60 s"
            time.sleep(0.05)

        sede = context.new_page()
        sede.on("pageerror", lambda e: errors.append(str(e)))
        sede.goto(f"{chain.edge_url}/recepcion/ingresar")
        ready(sede)
        sede.fill("input[name=username]", "recepcion.s01")
        sede.fill("input[name=password]", PASSWORD)
        sede.keyboard.press("Enter")
        sede.wait_for_url(f"{chain.edge_url}/recepcion")
        sede.goto(f"{chain.edge_url}/recepcion/ordenes/nueva")
        ready(sede)
        sede.locator("#svc-q").fill(CODE)
        option = sede.locator("#svc-results [role=option]").first
        expect(option).to_contain_text("Hemograma completo")
        expect(option).to_contain_text(NEW_PRICE)
        sede.locator("#svc-q").press("Enter")
        expect(sede.locator("#cart tbody")).to_contain_text("Hemograma completo")
        expect(sede.locator("#t-total")).to_have_text(f"S/ {NEW_PRICE}")
        shot(sede, screens, "sync-02-precio-en-sede")
    finally:
        context.close()
    assert errors == []
