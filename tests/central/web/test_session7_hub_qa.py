"""What the session-7 QA pass of the hub dashboard found, pinned below the browser.

- validation messages named some fields by their code ("Full_name: texto demasiado corto.",
  "Reconciliation_hour: formato inválido.");
- the sales-by-day chart was drawn 640 wide and stretched over the whole row, so its text came
  out half again as large as that of every other chart;
- the month-by-month chart skipped a month without sales (September next to November) and
  named the months "2026-11";
- a page shell did not say which permission its data needs, so a supervisor opening an admin
  page got an empty shell and the API's refusal in the green box of a saved change.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from central.runtime import HubRuntime
from central.web import charts
from central.web.dashboard import month_bars
from central.web.router import PAGE_PERMISSIONS, PAGES
from domain.permissions import Role
from sync.fieldnames import FIELD_NAMES
from tests.central.auth.factories import auth_headers, make_sede

TEMPLATES = Path(__file__).resolve().parents[3] / "central" / "web" / "templates"


def test_every_field_a_hub_form_shows_errors_for_has_a_spanish_name() -> None:
    fields = {
        name
        for page in TEMPLATES.glob("*.html")
        for name in re.findall(r'data-error-for="([a-z_]+)"', page.read_text())
    }
    assert len(fields) > 40
    unnamed = sorted(f for f in fields if f not in FIELD_NAMES)
    assert unnamed == [], f"fields whose validation message would start with their code: {unnamed}"


def test_a_short_full_name_and_a_bad_hour_are_named_in_spanish(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    sede = make_sede(hub_runtime, "S01")
    admin = auth_headers(hub_runtime, Role.ADMIN, username="jefa.qa")
    body = {"username": "nuevo.qa", "full_name": "", "role": "supervisor",
            "sede_ids": [sede.id], "password": "clave-larga-segura-1"}  # fmt: skip
    r = hub_client.post("/api/users", json=body, headers=admin)
    assert r.status_code == 422, r.text
    msgs = [d["msg"] for d in r.json()["detail"]]
    assert any(m.startswith("Nombre completo: ") for m in msgs), msgs
    assert not any("Full_name" in m for m in msgs), msgs
    r = hub_client.put("/api/config/settings", json={"reconciliation_hour": "25:99"},
                       headers=admin)  # fmt: skip
    assert r.status_code == 422, r.text
    msgs = [d["msg"] for d in r.json()["detail"]]
    assert not any("Reconciliation_hour" in m for m in msgs), msgs


def test_the_sales_by_day_chart_is_drawn_as_wide_as_it_is_shown() -> None:
    import datetime as dt

    day = dt.date(2026, 11, 20)
    svg = charts.stacked_days("Ventas", [day], {"S01": {day: Decimal("10.00")}})
    assert f'viewBox="0 0 {charts.WIDE} ' in svg and charts.WIDE >= 900
    assert f'viewBox="0 0 {charts.WIDE} ' in charts.stacked_days("Ventas", [], {})
    # the half-width charts keep their own width
    assert 'viewBox="0 0 640 ' in charts.bar_chart("Medios", [charts.Bar("Yape", Decimal(1))])


def test_month_by_month_has_every_month_named_in_spanish() -> None:
    rows = [
        {"month": "2026-09", "sales": Decimal("1500.00")},
        {"month": "2026-11", "sales": Decimal("40.00")},
        {"month": "2027-01", "sales": Decimal("7.50")},
    ]
    bars = month_bars(rows)
    assert [(b.label, b.value, b.shown) for b in bars] == [
        ("2026-09", Decimal("1500.00"), "set. 2026"),
        ("2026-10", Decimal(0), "oct. 2026"),
        ("2026-11", Decimal("40.00"), "nov. 2026"),
        ("2026-12", Decimal(0), "dic. 2026"),
        ("2027-01", Decimal("7.50"), "ene. 2027"),
    ]
    svg = charts.column_chart("Mes a mes", bars)
    assert ">oct. 2026</text>" in svg and 'data-label="2026-10" data-value="0"' in svg
    assert month_bars([]) == []


def test_every_shell_says_the_permission_its_data_needs(hub_client: TestClient) -> None:
    for name, (path, _) in PAGES.items():
        html = hub_client.get(path).text
        body = re.search(r"<body [^>]*>", html)
        assert body, name
        assert f'data-perm="{PAGE_PERMISSIONS.get(name, "")}"' in body.group(0), (name, body)
