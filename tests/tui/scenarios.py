"""Scripted walks through the app against the canned edge (snapshots and the memory probe).

No pytest here: the memory probe imports this in a fresh process and measures only the TUI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Select

from domain.clock import FixedClock
from tests.tui.fake_edge import fake_api
from tests.tui.keys import type_keys
from tui.app import ReceptionApp
from tui.settings import TuiSettings

CLOCK = FixedClock(dt.datetime(2026, 11, 29, 15, 4, tzinfo=dt.UTC))


def snapshot_app() -> ReceptionApp:
    settings = TuiSettings(
        edge_url="http://s01.local:8101",
        username="mrojas",
        download_dir=Path("/srv/labred/tickets"),
        draft_file=Path("/srv/labred/venta-en-curso.json"),  # never there: no sale to offer
        search_delay=0,
    )
    return ReceptionApp(fake_api(), settings=settings, clock=CLOCK, poll=False, blink=False)


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def signed_in(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await type_keys(pilot, "clave", "enter")
    await settle(pilot)


async def typed(pilot: Pilot[Any], input_id: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{input_id}").focus()
    await type_keys(pilot, text)
    await settle(pilot)


async def at_patients(pilot: Pilot[Any]) -> None:
    await signed_in(pilot)
    await pilot.press("f2")
    await settle(pilot)
    await typed(pilot, "f-q-input", "458712")


async def at_new_order(pilot: Pilot[Any]) -> None:
    await at_patients(pilot)
    await pilot.press("enter", "enter")  # to the results, choose the first patient
    await settle(pilot)
    await typed(pilot, "f-service_q-input", "perfil")
    await pilot.press("enter", "enter")  # PAN-LIP
    await settle(pilot)
    await typed(pilot, "f-service_q-input", "hemo")
    await pilot.press("enter")
    pilot.app.screen.query_one("#service-results", DataTable).move_cursor(row=1)
    await pilot.press("enter")  # HEM-001
    await settle(pilot)


async def at_payment_done(pilot: Pilot[Any]) -> None:
    await at_new_order(pilot)
    await pilot.press("f9")
    await settle(pilot)
    amount = pilot.app.screen.query_one("#f-payments-0-amount-input")
    amount.value = ""  # type: ignore[attr-defined]
    await typed(pilot, "f-payments-0-amount-input", "50")
    await typed(pilot, "f-payments-0-extra-input", "100")
    pilot.app.screen.query_one("#method-1", Select).value = "yape"
    await typed(pilot, "f-payments-1-amount-input", "40")
    await typed(pilot, "f-payments-1-extra-input", "OP123")
    await pilot.press("f9")
    await settle(pilot)


async def at_patient_error(pilot: Pilot[Any]) -> None:
    await signed_in(pilot)
    await pilot.press("f2")
    await settle(pilot)
    await typed(pilot, "f-doc_number-input", "45871236")
    await typed(pilot, "f-first_names-input", "Rosa")
    await typed(pilot, "f-last_names-input", "Huaman")
    await typed(pilot, "f-phone-input", "123")
    await pilot.press("ctrl+s")
    await settle(pilot)


def pressing(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await signed_in(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    return run
