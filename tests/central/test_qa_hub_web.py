"""QA of the hub dashboard, without a browser: what its pages read and how they label it.

- Every page reads only what every role that sees the page may read (a supervisor's dashboard
  asked ``/api/config/locations``, which is ``config.manage``: 403, so the sede filter stayed
  empty and the closures showed sede ids).
- The notification history comes by pages that neither skip nor repeat a row.
- The "Pacientes nuevos" figure of the dashboard comes with the patients chart and is the
  "Nuevo" column of the patients analysis report.
- Bar labels fit left of the bars; amounts read like the pages' (``S/ 2,008.40``).
- Every reconciliation finding and every notification event has a Spanish label on its page.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from central.db import unit_of_work
from central.notifications.models import Notification
from central.notifications.templates import EVENTS
from central.runtime import HubRuntime
from central.sync.patients import LWW_FIELDS
from central.web import charts
from central.web.router import PAGE_PERMISSIONS, STATIC_DIR
from domain.ids import new_id
from domain.permissions import Role, has_permission
from tests.central.auth.factories import auth_headers, make_sede
from tests.central.reconciliation.builders import SedeDay
from tests.central.test_hub_permission_matrix import api_routes

ROOT = Path(__file__).resolve().parents[2]
PAGES_DIR = STATIC_DIR / "pages"
DAY = dt.date(2026, 11, 20)
PERIOD = {"from": "2026-11-01", "to": "2026-11-29"}
# GETs a page makes only for users who hold their permission (checked in the page itself).
GUARDED = {("usuarios", "/api/roles")}


def _page_gets(page: str) -> set[str]:
    """The API paths a page's module reads with ``api.get`` (query strings and ids cut)."""
    source = (PAGES_DIR / f"{page}.js").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"api\.get\(\s*[`\"'](/api/[^`\"'?$]*)", source)}


def _route_for(path: str, routes: list[tuple[str, str, str | None]]) -> str | None:
    """The permission of the GET route that ``path`` (maybe cut before an id) reaches."""
    wanted = path + "x" if path.endswith("/") else path
    for method, route, perm in routes:
        if method == "GET" and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", route), wanted):
            return perm
    raise AssertionError(f"no GET route answers {path}")


def test_every_page_reads_only_what_the_roles_that_see_it_may_read(
    hub_client: TestClient,
) -> None:
    routes = api_routes(hub_client.app)
    refused: list[str] = []
    for page, page_perm in PAGE_PERMISSIONS.items():
        gets = _page_gets(page)
        assert gets, f"{page}.js reads nothing?"
        for path in sorted(gets):
            perm = _route_for(path, routes)
            if perm is None or (page, path) in GUARDED:
                continue
            refused += [
                f"{page}: {role.value} sees the page but GET {path} needs {perm}"
                for role in Role
                if has_permission(role, page_perm) and not has_permission(role, perm)
            ]
    assert refused == []


def test_a_supervisor_gets_their_own_sedes_for_the_filters(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    s01, s02 = make_sede(hub_runtime, "S01"), make_sede(hub_runtime, "S02")
    headers = auth_headers(hub_runtime, Role.SUPERVISOR, sede_ids=[s02.id])
    r = hub_client.get("/api/web/sedes", headers=headers)
    assert r.status_code == 200, r.text
    assert [s["code"] for s in r.json()["items"]] == ["S02"]
    assert hub_client.get("/api/config/locations", headers=headers).status_code == 403
    assert s01.id != s02.id


def _notifications(rt: HubRuntime, n: int) -> list[str]:
    """``n`` notifications, three of them created at the same instant (ties broken by id)."""
    base = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
    ids = []
    with unit_of_work(rt.engine) as session:
        for i in range(n):
            row = Notification(
                id=new_id(), event_key=f"order_created:{i}", event="order_created",
                channel="email", recipient=f"p{i}@example.pe", subject=f"Orden {i}",
                created_at=base + dt.timedelta(minutes=0 if i < 3 else i),
            )  # fmt: skip
            session.add(row)
            ids.append(row.id)
    return ids


def test_the_notification_history_pages_neither_skip_nor_repeat(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    ids = _notifications(hub_runtime, 7)
    headers = auth_headers(hub_runtime)
    seen: list[str] = []
    more: list[bool] = []
    for offset in (0, 3, 6):
        r = hub_client.get(
            "/api/web/notifications", params={"limit": 3, "offset": offset}, headers=headers
        )
        assert r.status_code == 200, r.text
        seen += [n["id"] for n in r.json()["items"]]
        more.append(r.json()["has_more"])
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)) == 7
    assert more == [True, True, False]
    whole = hub_client.get("/api/web/notifications", headers=headers).json()
    assert [n["id"] for n in whole["items"]] == seen and whole["has_more"] is False
    assert hub_client.get("/api/web/notifications?offset=-1", headers=headers).status_code == 422


def test_new_patients_come_with_the_chart_and_agree_with_the_patients_report(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_sede(hub_runtime, "S01")
    day = SedeDay(hub_runtime.engine, "S01", DAY)
    day.payment(day.order("40.00", services=[("HEM01", "Hemograma", "40.00")]))
    day.order("25.00", status="anulada")  # a new patient whose only order was cancelled
    day.push(day.all_rows())
    headers = auth_headers(hub_runtime)
    got = hub_client.get("/api/web/charts", params=PERIOD | {"part": "patients"}, headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    bars = {
        b.get("data-label"): b.get("data-value")
        for b in ElementTree.fromstring(body["patients"]).iter()
        if b.get("class") == "bar"
    }
    report = hub_client.get("/api/reports/patients-analysis", params=PERIOD, headers=headers)
    new = [r["patients"] for r in report.json()["rows"] if r["label"] == "nuevo"]
    assert (body["patients_new"], body["patients_recurring"]) == (1, 0)
    assert bars == {"Nuevo": "1"} and new == [1]
    main = hub_client.get("/api/web/charts", params=PERIOD | {"part": "main"}, headers=headers)
    assert main.json()["patients_new"] is None


def test_bar_labels_fit_left_of_the_bars_and_amounts_read_like_the_pages() -> None:
    name = "Prueba de embarazo en sangre (β-hCG cualitativa)"
    svg = charts.bar_chart(
        "Exámenes", [charts.Bar(name, Decimal("2008.40")), charts.Bar("Urea", Decimal(1))]
    )
    tree = ElementTree.fromstring(svg)
    labels = [t.text or "" for t in tree.iter() if t.get("class") == "lbl"]
    assert labels == ["Prueba de embarazo en…", "Urea"]
    assert all(len(t) <= charts.LABEL_CHARS for t in labels)
    bar = next(b for b in tree.iter() if b.get("class") == "bar")
    assert bar.get("data-label") == name  # the whole name stays in the data and the tooltip
    values = [t.text for t in tree.iter() if t.get("class") == "val"]
    assert values[0] == "S/ 2,008.40"
    days = [dt.date(2026, 11, 28), dt.date(2026, 11, 29)]
    stacked = charts.stacked_days("Ventas", days, {"S01": {days[0]: Decimal("1938.91")}})
    assert ">S/ 1,938.91</text>" in stacked


def _kinds_of_findings() -> set[str]:
    kinds: set[str] = set()
    for path in [*sorted((ROOT / "domain/reconciliation").glob("*.py")),
                 *sorted((ROOT / "central/reconciliation").glob("*.py"))]:  # fmt: skip
        text = path.read_text(encoding="utf-8")
        kinds |= set(re.findall(r"kind=\"([a-z_]+)\"", text))
        kinds |= set(re.findall(r"\(\"([a-z_]+)\", (?:CRITICAL|WARNING|INFO),", text))
        kinds |= {k for pair in re.findall(r"\"([a-z_]+)\" if \w+ else \"([a-z_]+)\"", text)
                  for k in pair}  # fmt: skip
    return kinds


def _kinds_of_conflicts() -> set[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "central/sync").glob("*.py"))
    return set(re.findall(r"SyncConflict\(\s*kind=\"([a-z_]+)\"", text))


def _js_keys(page: str, const: str) -> set[str]:
    source = (PAGES_DIR / f"{page}.js").read_text(encoding="utf-8")
    block = re.search(rf"const {const} = \{{(.*?)\}};", source, re.S)
    assert block, f"{page}.js has no {const}"
    return set(re.findall(r"(\w+):", block.group(1)))


@pytest.mark.parametrize(
    ("page", "const", "codes"),
    [
        ("cierres", "KINDS", _kinds_of_findings),
        ("cierres", "SEVERITY", lambda: {"info", "warning", "critical"}),
        ("notificaciones", "EVENTS", lambda: set(EVENTS)),
        ("plantillas", "EVENTS", lambda: set(EVENTS)),
        ("conflictos", "KINDS", _kinds_of_conflicts),
        ("conflictos", "FIELDS", lambda: set(LWW_FIELDS)),
    ],
)
def test_every_code_a_page_shows_has_a_spanish_label(page: str, const: str, codes: object) -> None:
    wanted = codes()  # type: ignore[operator]
    assert len(wanted) >= 3
    assert wanted - _js_keys(page, const) == set()


def test_month_by_month_shows_the_twelve_whole_months_up_to_the_period_end(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    make_sede(hub_runtime, "S01")
    sales = {
        dt.date(2025, 11, 30): "99.00",  # thirteen months back: not drawn
        dt.date(2025, 12, 1): "20.00",
        dt.date(2026, 10, 10): "40.00",  # before the period, in a month the period touches
        dt.date(2026, 10, 31): "10.00",
        dt.date(2026, 11, 20): "30.00",
    }
    for day, total in sales.items():
        b = SedeDay(hub_runtime.engine, "S01", day)
        b.payment(b.order(total, services=[("HEM01", "Hemograma", total)]))
        b.push(b.all_rows())
    r = hub_client.get(
        "/api/web/charts",
        params={"from": "2026-10-31", "to": "2026-11-29", "part": "main"},
        headers=auth_headers(hub_runtime),
    )
    assert r.status_code == 200, r.text
    months = [
        (b.get("data-label"), b.get("data-value"))
        for b in ElementTree.fromstring(r.json()["monthly"]).iter()
        if b.get("class") == "bar"
    ]
    # every one of the twelve months is drawn, a month without sales at zero
    sold = {"2025-12": "20.00", "2026-10": "50.00", "2026-11": "30.00"}
    twelve = ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    assert months == [(m, sold.get(m, "0")) for m in twelve]
