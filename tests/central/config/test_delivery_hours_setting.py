"""``results_delivery_hours`` on the hub's Parámetros: default, validated per day with a Spanish
message and a stable code, stored normalised under the key the edges read."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from central.config.models import Setting
from central.runtime import HubRuntime
from domain.permissions import Role
from domain.results_promise import DEFAULT_DELIVERY_HOURS
from tests.central.auth.factories import auth_headers

URL = "/api/config/settings"
FIELD = "results_delivery_hours"


def test_default_update_normalised_and_history(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    assert hub_client.get(URL, headers=headers).json()[FIELD] == DEFAULT_DELIVERY_HOURS
    sent = dict(DEFAULT_DELIVERY_HOURS, sat=" 08:00 - 14:00 ".replace(" ", ""), sun=None)
    sent["fri"] = "07:00-18:30"
    r = hub_client.put(URL, json={FIELD: sent}, headers=headers)
    assert r.status_code == 200, r.text
    expected = dict(DEFAULT_DELIVERY_HOURS, sat="08:00-14:00", fri="07:00-18:30", sun="")
    assert r.json()[FIELD] == expected
    with Session(hub_runtime.engine) as session:
        row = session.exec(select(Setting).where(Setting.key == FIELD)).one()
    assert row.value == expected
    history = hub_client.get(
        "/api/config/history", params={"entity": "setting"}, headers=headers
    ).json()["items"]
    assert (history[0]["field"], history[0]["new_value"]) == (FIELD, expected)


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        ("lun 07:00-19:00", "delivery_hours_not_object", "un rango por día"),
        (dict(DEFAULT_DELIVERY_HOURS, tue="7:00-19:00"), "delivery_hours_time_invalid", "martes"),
        (dict(DEFAULT_DELIVERY_HOURS, sat="13:00-07:00"), "delivery_hours_range_empty", "sábado"),
        ({"mon": "07:00-19:00"}, "delivery_hours_day_missing", "martes"),
        (dict(DEFAULT_DELIVERY_HOURS, xyz="07:00-19:00"), "delivery_hours_day_unknown", "xyz"),
        (dict.fromkeys(DEFAULT_DELIVERY_HOURS, ""), "delivery_hours_all_closed", "al menos"),
    ],
)
def test_bad_hours_are_refused_in_spanish(
    hub_client: TestClient, hub_runtime: HubRuntime, value: Any, code: str, fragment: str
) -> None:
    headers = auth_headers(hub_runtime, Role.ADMIN)
    r = hub_client.put(URL, json={FIELD: value}, headers=headers)
    assert r.status_code == 422, r.text
    err = r.json()["detail"][0]
    assert err["type"] == code and fragment in err["msg"]
    assert FIELD in err["loc"]
    assert hub_client.get(URL, headers=headers).json()[FIELD] == DEFAULT_DELIVERY_HOURS
