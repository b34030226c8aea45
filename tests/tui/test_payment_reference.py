"""The payment row asks for the operation number of card, Yape, Plin and transfer payments
before anything is sent to the node (the node refuses them too: payment_reference_required)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, Select

from domain.errors import InvalidInput
from tui.widgets.payment_row import PaymentRow

pytestmark = pytest.mark.anyio


class RowApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PaymentRow(0, amount="40.00")


@pytest.mark.parametrize("method", ["tarjeta", "yape", "plin", "transferencia"])
async def test_non_cash_row_needs_its_operation_number(method: str) -> None:
    app = RowApp()
    async with app.run_test() as pilot:
        row = app.query_one(PaymentRow)
        row.query_one(Select).value = method
        await pilot.pause()
        with pytest.raises(InvalidInput) as exc:
            row.payload()
        assert exc.value.code == "payment_reference_required"
        assert exc.value.msg.startswith("Indique el número de")
        row.query_one("#f-payments-0-extra-input", Input).value = "  OP 123456 "
        await pilot.pause()
        assert row.payload() == {"method": method, "amount": "40.00", "reference": "OP 123456"}


async def test_cash_row_needs_no_reference() -> None:
    app = RowApp()
    async with app.run_test() as pilot:
        row = app.query_one(PaymentRow)
        await pilot.pause()
        assert row.payload() == {"method": "efectivo", "amount": "40.00"}
        row.query_one("#f-payments-0-extra-input", Input).value = "50"
        await pilot.pause()
        assert row.payload() == {"method": "efectivo", "amount": "40.00", "tendered": "50.00"}
