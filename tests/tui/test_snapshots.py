"""Snapshots of the main screens at 80×24, fixed clock and canned edge data.

Update (on purpose only) with ``pytest tests/tui/test_snapshots.py --snapshot-update``, then look
at the SVGs in ``__snapshots__/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.scenarios import (
    at_new_order,
    at_patient_error,
    at_patients,
    at_payment_done,
    pressing,
    settle,
    signed_in,
    snapshot_app,
)

SnapCompare = Callable[..., bool]

SCREENS: dict[str, Callable[[Pilot[Any]], Awaitable[None]]] = {
    "login": settle,
    "home": signed_in,
    "patients": at_patients,
    "patient_error": at_patient_error,
    "new_order": at_new_order,
    "payment_done": at_payment_done,
    "orders": pressing("f3"),
    "cash": pressing("f4"),
    "help": pressing("f1"),
}


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_screen_snapshot(name: str, snap_compare: SnapCompare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=SCREENS[name])
