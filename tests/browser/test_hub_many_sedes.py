"""The hub's pages with 100 sedes ("6 today, 100 tomorrow"), in Chromium: a hub with 100 sedes
created in no particular order, a node per sede, 300 users, 30 days of sales and 3,000 closures
(built once for the module, see hub100.py). A supervisor with a queue of work must find a sede by
typing its number or name, read pages of rows instead of 17,000-pixel tables, and see the sync
nodes that need a look first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from central.settings import HubSettings
from tests.browser.conftest import HUB_ADMIN_PASSWORD, expect, new_tab, ready, sign_in_hub
from tests.browser.hub100 import SUPERVISOR, ManySedes, build, hub_database, sede_code, sede_name
from tests.procs import serve_in_thread

SEDES = 100


@pytest.fixture(scope="module")
def hub100(pg_base_url: str, hub_template: str, tmp_path_factory: Any) -> Iterator[str]:
    with hub_database(pg_base_url, hub_template) as url:
        settings = HubSettings(
            data_dir=tmp_path_factory.mktemp("hub100"), database_url=url,
            jwt_secret="t-" + "y" * 40, rate_limit_per_minute=100000,
        )  # fmt: skip
        hub: ManySedes = build(settings, sedes=SEDES, password=HUB_ADMIN_PASSWORD, orders_per_day=5)
        from central.app import create_app

        try:
            with serve_in_thread(create_app(settings, runtime=hub.runtime)) as base:
                yield base
        finally:
            hub.runtime.close()


@pytest.fixture
def tab(browser: Any, hub100: str) -> Iterator[Any]:
    page = new_tab(browser, hub100, height=768)
    yield page
    page.context.close()
    assert not page.js_errors, page.js_errors


def _options(page: Any, select: str) -> list[str]:
    return list(
        page.locator(f"{select} option[data-sede]").evaluate_all("os => os.map(o => o.textContent)")
    )


def _visible_options(page: Any, select: str) -> list[str]:
    return list(page.locator(f"{select} option[data-sede]").evaluate_all(
        "os => os.filter(o => !o.hidden).map(o => o.textContent.split(' · ')[0])"))  # fmt: skip


def test_tablero_sede_search_by_number_and_name_and_remembered(tab: Any) -> None:
    sign_in_hub(tab, "admin", HUB_ADMIN_PASSWORD)
    select = "#filters select[name=sede]"
    codes = [text.split(" · ")[0] for text in _options(tab, select)]
    assert codes == [sede_code(k) for k in range(1, SEDES + 1)]  # S01 … S09, S10 … S99, S100
    search = tab.locator("#filters input.sede-search")
    search.fill("87")
    assert tab.locator(f"{select} option:checked").text_content() == f"S87 · {sede_name(87)}"
    search.fill("s007")  # the code as written, zero-padded
    assert tab.locator(f"{select} option:checked").text_content().startswith("S07 ·")
    search.fill("arequipa")  # part of the name, without caring for case or accents
    shown = _visible_options(tab, select)
    assert shown and all(sede_name(int(c[1:])).startswith("Sede Arequipa") for c in shown), shown
    search.fill("huanuco")
    assert tab.locator(f"{select} option:checked").text_content().startswith("S19 · Sede Huánuco")
    search.fill("87")
    with tab.expect_response(re.compile(r"/api/reports/dashboard\?.*sede=")) as answer:
        search.press("Enter")  # applies the filter, like the button
    assert answer.value.ok
    tab.reload()  # the choice is remembered
    ready(tab)
    assert tab.locator(f"{select} option:checked").text_content().startswith("S87 ·")


def test_tablero_fits_1366_with_100_sedes(tab: Any) -> None:
    sign_in_hub(tab, "admin", HUB_ADMIN_PASSWORD)
    overflow = tab.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0
    boxes = tab.locator("#filters > label, #filters > button").evaluate_all(
        "ns => ns.map(n => n.getBoundingClientRect()).map(r => [r.left, r.top, r.right, r.bottom])"
    )
    for i, a in enumerate(boxes):  # the search box did not push the filters over each other
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    # "Ventas por sede y día": the 7 biggest sedes and "Otras (N sedes)", every legend entry
    # inside the chart (100 colours and a legend cut after 11 sedes before).
    chart = tab.locator("#chart-sales_by_day svg")
    labels = chart.locator("rect.bar").evaluate_all(
        "rs => [...new Set(rs.map(r => r.dataset.label))]"
    )
    assert len(labels) == 8 and re.fullmatch(r"Otras \(\d{2} sedes\)", labels[-1]), labels
    right = chart.bounding_box()["x"] + chart.bounding_box()["width"]
    legend = chart.locator("text.lbl").evaluate_all(
        "ts => ts.map(t => [t.textContent, t.getBoundingClientRect().right])"
    )
    assert any(text == labels[-1] for text, _ in legend)
    assert all(edge <= right for _, edge in legend), legend


def test_closures_3000_rows_paged_and_sede_found(tab: Any) -> None:
    sign_in_hub(tab, "admin", HUB_ADMIN_PASSWORD, to="/panel/cierres")
    expect(tab.locator("#closures tbody tr[data-closure]")).to_have_count(50)
    expect(tab.locator("#closures-pager [data-range]")).to_have_text("1–50 de 3000")
    tab.locator("#closure-filters input.sede-search").fill("47")
    tab.click("#closure-filters button[type=submit]")
    expect(tab.locator("#closures-pager [data-range]")).to_be_hidden()
    expect(tab.locator("#closures tbody tr[data-closure]")).to_have_count(30)
    cells = tab.locator("#closures tbody tr td:nth-child(2)").all_text_contents()
    assert set(cells) == {"S47"}
    run = tab.locator("#run-form input.sede-search")  # the "Conciliar un día" form too
    run.fill("100")
    assert tab.locator("#run-form select option:checked").text_content().startswith("S100 ·")


def test_users_paged_filtered_by_sede_and_sedes_box_scrolls(tab: Any) -> None:
    sign_in_hub(tab, "admin", HUB_ADMIN_PASSWORD, to="/panel/usuarios")
    expect(tab.locator("#users tbody tr[data-user]")).to_have_count(50)
    expect(tab.locator("#users-pager [data-range]")).to_contain_text("1–50 de ")
    admin = tab.locator("#users tr[data-user=admin] td").nth(4)
    expect(admin).to_have_text("S01, S02, S03, S04, S05 y 95 sedes más")
    assert "S100" in (admin.get_attribute("title") or "")
    tab.locator("#user-filter input.sede-search").fill("87")
    users = tab.locator("#users tbody tr[data-user]")
    expect(users).to_have_count(3 + 1)  # its three users and the admin of every sede
    assert {"supervisor.s87", "recepcionista.s87", "laboratorista.s87", "admin"} == set(
        users.evaluate_all("rs => rs.map(r => r.dataset.user)")
    )
    users.filter(has_text="supervisor.s87").locator("button").click()
    box = tab.locator("#user-sedes")
    expect(box).to_be_visible()
    assert box.evaluate("b => b.getBoundingClientRect().height") < 400  # not 100 lines of page
    labels = box.locator("label").all_text_contents()
    assert [t.split(" · ")[0].strip() for t in labels[:2] + labels[-1:]] == ["S01", "S02", "S100"]
    tab.locator("#user-form input.sede-search").fill("huánuco 59")  # to assign one among 100
    shown = box.locator("label:visible")
    expect(shown).to_have_count(1)
    shown.locator("input").check()
    expect(box.locator("input:checked")).to_have_count(2)  # S87 kept, S59 added


def test_sync_health_shows_nodes_that_need_a_look_first(tab: Any) -> None:
    sign_in_hub(tab, "admin", HUB_ADMIN_PASSWORD, to="/panel/sedes")
    rows = tab.locator("#nodes tbody tr[data-node]")
    expect(rows).to_have_count(SEDES)
    late = [k for k in range(1, SEDES + 1) if k % 13 == 0]  # hub100: a backlog every 13th
    expect(tab.locator("#nodes-summary")).to_have_text(
        f"{SEDES} nodos: {SEDES - len(late)} al día · {len(late)} con pendientes · 0 revocados"
    )
    first = rows.evaluate_all("rs => rs.slice(0, 8).map(r => r.lastElementChild.textContent)")
    assert first == ["Con pendientes"] * len(late) + ["Al día"]
    tab.check("#nodes-late-only")
    expect(rows).to_have_count(len(late))
    assert rows.locator("td:nth-child(2)").all_text_contents()[0].startswith("S13 ·")


def test_supervisor_of_three_sedes_gets_a_short_sorted_list(tab: Any) -> None:
    sign_in_hub(tab, SUPERVISOR, HUB_ADMIN_PASSWORD)
    codes = [t.split(" · ")[0] for t in _options(tab, "#filters select[name=sede]")]
    assert codes == ["S03", "S47", "S100"]
    expect(tab.locator("#filters input.sede-search")).to_have_count(0)  # 3 sedes: no search box


def test_sedes_and_series_listed_by_code_as_people_count(tab: Any) -> None:
    sign_in_hub(tab, "admin", HUB_ADMIN_PASSWORD, to="/panel/sedes-series")
    rows = tab.locator("#sedes-admin tbody tr[data-sede]")
    expect(rows).to_have_count(SEDES)
    codes = rows.evaluate_all("rs => rs.map(r => r.dataset.sede)")
    assert codes == [sede_code(k) for k in range(1, SEDES + 1)]  # S99 before S100, S10 after S09
