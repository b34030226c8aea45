"""A test sold on its own and inside a panel of the same order is refused (charged twice, drawn
twice); two panels that share tests are packages with their own prices and stay allowed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import count_rows, detail, make_patient, sell, seller, sid


def test_a_test_also_inside_a_panel_of_the_order_is_refused_and_nothing_is_written(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    before = count_rows(edge_runtime, "lab_order"), count_rows(edge_runtime, "sync_outbox")
    # BIO-021 is one of PAN-LIP's tests; the standalone test comes first in the request.
    r = edge_client.post(
        "/api/orders",
        json={"patient_id": p.id, "items": [sid("HEM-001"), sid("BIO-021"), sid("PAN-LIP")]},
        headers=h,
    )
    assert r.status_code == 422, r.text
    code, loc = detail(r.json())
    assert (code, loc) == ("item_in_panel", ["body", "items", 1])
    msg = r.json()["detail"][0]["msg"]
    assert "ya está incluido en el perfil" in msg and "Perfil lip" in msg
    assert r.json()["detail"][0]["ctx"] == {"panel_id": sid("PAN-LIP")}
    after = count_rows(edge_runtime, "lab_order"), count_rows(edge_runtime, "sync_outbox")
    assert after == before


def test_two_panels_sharing_tests_are_sold_each_at_its_price(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    _, h = seller(edge_runtime)
    p = make_patient(edge_runtime)
    # PAN-CHK and PAN-LIP share BIO-020 and BIO-023.
    body = sell(edge_client, h, patient_id=p.id, items=[sid("PAN-CHK"), sid("PAN-LIP")])
    panels = [i for i in body["items"] if i["parent_item_id"] is None]
    assert sorted(i["service_code"] for i in panels) == ["PAN-CHK", "PAN-LIP"]
    assert body["subtotal"] == f"{sum(float(i['unit_price']) for i in panels):.2f}"
