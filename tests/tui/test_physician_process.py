"""Real processes: the reception TUI sells an urgent order with its ordering physician at a
``labred edge serve`` node enrolled at a ``labred hub serve`` hub; the node keeps them, its
worker pushes the order, and the hub's "Médicos solicitantes" report counts it under the CMP,
with the name as the node keeps it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, Select, Static

from tests.central.test_closure_real_process import PASSWORD, _pushed, hub_and_edge
from tests.procs import until as until_true
from tests.tui.conftest import on_screen, sign_in, type_in, until
from tui.app import ReceptionApp
from tui.screens.new_order import NewOrderScreen
from tui.screens.payment import PaymentScreen

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


async def test_an_urgent_order_from_the_tui_reaches_the_hubs_physician_report(
    tmp_path: Path, make_app: Callable[[str], ReceptionApp]
) -> None:
    with hub_and_edge(tmp_path, "--demo-catalog") as (hub, edge):
        r = edge.post("/api/cash/sessions", json={"opening_float": "50.00"})
        assert r.status_code == 201, r.text
        r = edge.post("/api/patients", json={"doc_type": "1", "doc_number": "45678912",
                                             "first_names": "ANA MARÍA",
                                             "last_names": "PÉREZ QUISPE"})  # fmt: skip
        assert r.status_code == 201, r.text
        patient = r.json()

        app = make_app(str(edge.base_url).rstrip("/"))
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, "admin", PASSWORD)
            app.push_screen(NewOrderScreen(patient))
            await on_screen(pilot, NewOrderScreen)
            screen = app.screen
            assert isinstance(screen, NewOrderScreen)
            await type_in(pilot, "f-service_q-input", "hemograma")
            await until(pilot, lambda: any(s["code"] == "HEM-001" for s in screen._found.values()))
            row = next(i for i, s in enumerate(screen._found.values()) if s["code"] == "HEM-001")
            await pilot.press("enter")
            screen.query_one("#service-results", DataTable).move_cursor(row=row)
            await pilot.press("enter")
            await until(pilot, lambda: len(screen.draft.services) == 1)
            screen.query_one("#priority", Select).value = "urgente"
            await type_in(pilot, "f-physician_cmp-input", "CMP 045123")
            await type_in(pilot, "f-physician_name-input", "Dr. Juan Pérez Rojas")
            await pilot.press("f9")
            await on_screen(pilot, PaymentScreen)
            pay = app.screen
            assert isinstance(pay, PaymentScreen)
            await pilot.press("f9")  # the first row proposes what is due, in cash
            await until(pilot, lambda: pay.order is not None)
            receipt = str(pay.query_one("#receipt", Static).content)
            assert "URGENTE · Médico: JUAN PÉREZ ROJAS (CMP 45123)" in receipt
            assert pay.order is not None
            order_id, total = pay.order["id"], pay.order["total"]

        r = edge.get(f"/api/orders/{order_id}")
        assert r.status_code == 200, r.text
        kept = {k: r.json()[k] for k in ("priority", "physician_cmp", "physician_name")}
        assert kept == {"priority": "urgente", "physician_cmp": "45123",
                        "physician_name": "JUAN PÉREZ ROJAS"}  # fmt: skip
        until_true("the order to reach the hub", _pushed(edge))
        r = hub.get("/api/reports/physicians")
        assert r.status_code == 200, r.text
        rows = [(x["cmp"], x["name"], x["orders"], x["urgent"], x["total"])
                for x in r.json()["rows"]]  # fmt: skip
        assert rows == [("45123", "JUAN PÉREZ ROJAS", 1, 1, total)]
