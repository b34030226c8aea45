"""The TUI's receipt after a sale says when the results are ready, as the ticket prints it
("Entrega de resultados: lunes 30/11/2026 desde las 11:00"), from the order's
``results_promised_at``; an order without one (sold before the promise existed) says nothing."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.tui import fake_edge
from tests.tui.scenarios import at_payment_done, snapshot_app

pytestmark = pytest.mark.anyio


async def receipt() -> str:
    app = snapshot_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await at_payment_done(pilot)
        return str(app.screen.query_one("#receipt", Static).content)


async def test_the_receipt_says_when_the_results_are_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    # the sale of Sunday 29/11 10:04 Lima + 24 h: Monday 10:04 -> 11:00 Lima (16:00 UTC)
    monkeypatch.setitem(fake_edge.ORDER, "results_promised_at", "2026-11-30T16:00:00Z")
    text = await receipt()
    assert "Entrega de resultados: lunes 30/11/2026 desde las 11:00" in text
    assert text.index("registrada") < text.index("Entrega de resultados")


async def test_no_promise_no_line() -> None:
    assert "results_promised_at" not in fake_edge.ORDER
    text = await receipt()
    assert "Orden S01-20261129-0007 registrada" in text
    assert "Entrega de resultados" not in text
