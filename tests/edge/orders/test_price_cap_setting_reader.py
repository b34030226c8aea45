"""The cap of an overridden unit price (``price_override_max``) is read through the shared reader
of replicated settings (edge/config/replicated.py, :func:`amount`), as it arrives on the wire (a
pulled ``setting`` change): a value that is not an amount above 0 leaves the default cap
(``MAX_PRICE_OVERRIDE``, S/ 50,000.00) in force instead of breaking the sale; a good one applies
at the next read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edge.config.replicated import amount
from edge.db import read_session
from edge.orders.pricing import MAX_PRICE_OVERRIDE, OVERRIDE_CAP_SETTING, max_price_override
from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import make_patient, pull_setting, seller, sid


def cap(rt: EdgeRuntime) -> Decimal:
    with read_session(rt.engine) as session:
        return max_price_override(session)


def test_never_received_is_the_default(edge_runtime: EdgeRuntime) -> None:
    assert cap(edge_runtime) == MAX_PRICE_OVERRIDE == Decimal("50000.00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("250.00", "250.00"), ("250.5", "250.50"), (300, "300"), (" 99.90 ", "99.90")],
)
def test_a_good_cap_applies_at_the_next_read(
    edge_runtime: EdgeRuntime, value: Any, expected: str
) -> None:
    pull_setting(edge_runtime, OVERRIDE_CAP_SETTING, value)
    assert cap(edge_runtime) == Decimal(expected)


@pytest.mark.parametrize(
    "value",
    ["0", "0.00", "-5.00", "abc", "12.345", "1e3", "", 0, -3, 250.5, True, None, {"max": "9"}],
)
def test_a_bad_cap_leaves_the_default(edge_runtime: EdgeRuntime, value: Any) -> None:
    pull_setting(edge_runtime, OVERRIDE_CAP_SETTING, "250.00")
    assert cap(edge_runtime) == Decimal("250.00")
    pull_setting(edge_runtime, OVERRIDE_CAP_SETTING, value)
    assert cap(edge_runtime) == MAX_PRICE_OVERRIDE


def test_a_bad_cap_on_the_wire_does_not_break_the_sale(
    edge_runtime: EdgeRuntime, edge_client: TestClient
) -> None:
    pull_setting(edge_runtime, OVERRIDE_CAP_SETTING, "no es un monto")
    _, headers = seller(edge_runtime, "supervisor")
    patient = make_patient(edge_runtime)

    def order_at(price: str) -> Any:
        item = {"service_id": sid("HEM-001"), "unit_price": price, "override_reason": "Campaña"}
        body = {"patient_id": patient.id, "items": [item]}
        return edge_client.post("/api/orders", json=body, headers=headers)

    assert order_at("50000.01").json()["detail"][0]["type"] == "price_override_too_high"
    ok = order_at("49999.00")
    assert ok.status_code == 201, ok.text


def test_amount_reader() -> None:
    assert amount("12.50") == Decimal("12.50")
    assert amount(7) == Decimal(7)
    bad: tuple[Any, ...] = ("0", 0, "-1", "1.234", 1.5, False, True, None, [], "NaN", "Infinity")
    for value in bad:
        assert amount(value) is None, value
