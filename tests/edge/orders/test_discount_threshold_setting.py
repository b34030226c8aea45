"""The discount approval threshold is the hub's replicated setting
``discount_approval_threshold_pct``, read through the shared reader of replicated settings
(edge/config/replicated.py); a value that is not a percentage, as it arrives on the wire (a pulled
``setting`` change), leaves the default of 10 % in force instead of breaking the sale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edge.config.replicated import percentage
from edge.db import read_session
from edge.orders.discounts import APPROVAL_SETTING, approval_threshold
from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import detail, make_patient, pull_setting, sell, seller, sid


def threshold(rt: EdgeRuntime) -> Decimal:
    with read_session(rt.engine) as session:
        return approval_threshold(session)


def order_body(patient_id: str, pct: str) -> dict[str, Any]:
    discount = {"kind": "percent", "value": pct, "reason": "Campaña"}
    return {
        "patient_id": patient_id,
        "items": [sid("PAN-LIP"), sid("HEM-001")],
        "discount": discount,
    }


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("25", "25"), ("12.5", "12.5"), (" 15 ", "15"), (30, "30"), ("0", "0"), ("100", "100")],
)
def test_a_percentage_from_the_hub_is_the_threshold(
    edge_runtime: EdgeRuntime, wire: Any, expected: str
) -> None:
    pull_setting(edge_runtime, APPROVAL_SETTING, wire)
    assert threshold(edge_runtime) == Decimal(expected)


@pytest.mark.parametrize(
    "bad",
    [12.5, True, "abc", "", "101", "-1", "12.345", "NaN", "Infinity", "1e400", None, ["15"], {}],
)
def test_a_bad_value_on_the_wire_leaves_the_default(edge_runtime: EdgeRuntime, bad: Any) -> None:
    pull_setting(edge_runtime, APPROVAL_SETTING, "25")
    assert threshold(edge_runtime) == Decimal("25")
    # the hub never sends these; a broken row must not sell
    pull_setting(edge_runtime, APPROVAL_SETTING, bad)
    assert threshold(edge_runtime) == Decimal("10")


def test_the_sale_follows_the_pulled_threshold_and_survives_a_bad_one(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    pull_setting(edge_runtime, APPROVAL_SETTING, "25")
    body = order_body(p.id, "20")
    assert sell(edge_client, h, **body)["discount_approved_by"] is None
    pull_setting(edge_runtime, APPROVAL_SETTING, "veinte")  # not a percentage: 10 % again, no error
    r = edge_client.post("/api/orders", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert detail(r.json()) == ("discount_needs_approval", ["body", "discount"])


def test_percentage_reader() -> None:
    assert percentage("7.25") == Decimal("7.25")
    assert percentage(7) == Decimal("7")
    assert [percentage(v) for v in (7.25, False, "7.255", "-0.01", "100.01", "sNaN")] == [None] * 6


def test_the_threshold_is_read_like_every_replicated_setting() -> None:
    """One reader of replicated settings at the edge: no ORM lookup of its own."""
    import inspect

    from edge.orders import discounts

    source = inspect.getsource(discounts)
    assert "replicated_value(" in source and "percentage(" in source
    assert "select(Setting" not in source and "Setting.key" not in source
