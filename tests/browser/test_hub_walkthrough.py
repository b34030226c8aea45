"""A day of the hub dashboard in headless Chromium against a real ``labred hub serve`` process
(its embedded PostgreSQL), as the chain's admin and then as a supervisor of two sedes.

The hub is seeded like the demo (``labred hub seed --sedes 3``) and given six days of sales of
S01-S03 (one S01 day sells over a million soles, one S03 day has a rejected boleta, an order
paid without a document and a short cash drawer) and a convenio account. One hub process and
one browser serve the whole module; screenshots at 1366x768 and 1920x1080 go to the module's
``screens`` directory (and /tmp/labred-screens when it exists).

What the walk found, each pinned here:

- a supervisor opening an admin page (Sedes, Conflictos, Laboratorios) got an empty shell with
  "Cargando…" rows and the API's 403 in the green box of a saved change;
- a KPI figure broke after "S/" (the convenio's "S/ 1,224.00" at 1366 px, the chain's sales
  once they reach millions);
- the sales-by-day chart's text was half again as large as the other charts' (a 640-wide
  drawing stretched to 980 px) and it left a third of its row empty; the month-by-month
  chart skipped a month without sales and named the months "2026-11";
- "Ver" on a closure filled the detail below a 50-row list, out of sight;
- the audit's details were the raw record ("price_cents: 3600 · sede_ids: [\"c6c8…\"] ·
  status: reconciled"), and its time broke into "6:36 p." / "m.";
- the parameters' history showed "baja → nota_credito" and "50000.00", the option "Comunicación
  de baja (dentro del pla" was cut in its box, and the help said "S/ 50000.00";
- validation messages named fields by their code ("Full_name: texto demasiado corto.").
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from domain.catalog_data import catalog_id_for
from domain.clock import SystemClock, business_date
from domain.ids import new_id
from tests.browser.conftest import (
    expect,
    ready,
    shot,
    sign_in_hub,
)
from tests.central.reconciliation.builders import SedeDay, push_rows
from tests.procs import free_port, run_labred, running

PASSWORD = "clave-central-qa-2026"
SUPERVISOR = "supervisora.norte"
EXAMS = [
    ("HEM-001", "Hemograma completo", "35.00"),
    ("BIO-010", "Glucosa basal", "12.50"),
    ("PAN-LIP", "Perfil lipídico", "55.00"),
    ("URI-001", "Examen completo de orina", "15.00"),
]
CONV = catalog_id_for("convenio", "CONV-SALUDPLUS")
SIZES = ((1366, 768), (1920, 1080))
ONE_LINE = """(nodes) => nodes.map((n) => {
  const r = document.createRange(); r.selectNodeContents(n);
  const tops = new Set([...r.getClientRects()].map((c) => Math.round(c.top)));
  return [n.textContent, tops.size];
})"""
# a <select> whose chosen option is wider than its box (arrow and padding: 28 px) is cut
CLIPPED_SELECTS = """() => [...document.querySelectorAll('select')].filter((s) => s.offsetParent)
  .map((s) => {
    const text = s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : '';
    const ctx = document.createElement('canvas').getContext('2d');
    const cs = getComputedStyle(s); ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
    return [s.name, text, ctx.measureText(text).width + 28, s.clientWidth];
  }).filter(([, , need, have]) => need > have)"""


@dataclass(frozen=True)
class Hub:
    url: str
    today: dt.date
    flagged_day: dt.date  # S03's day with findings


def _seed_sales(pg_dir: Path, today: dt.date) -> dt.date:
    pid = (pg_dir / "postmaster.pid").read_text().splitlines()
    engine = create_engine(
        f"postgresql+psycopg://postgres@/labred?host={pid[4].strip()}&port={pid[3].strip()}"
    )
    try:
        methods = ("efectivo", "tarjeta", "yape")
        for back in range(1, 6):
            for k, code in enumerate(("S01", "S02", "S03")):
                day = SedeDay(engine, code, today - dt.timedelta(days=back))
                for i in range(3 + (back + k) % 4):
                    services = [EXAMS[(i + k) % 4], EXAMS[(i + back) % 4]][: 1 + i % 2]
                    total = sum(int(p.replace(".", "")) for _, _, p in services)
                    order = day.order(f"{total // 100}.{total % 100:02d}", services=services)
                    day.payment(order, method=methods[(i + back) % 3])
                    day.invoice(order)
                if code == "S01" and back == 2:  # a chain's month reaches millions
                    big = day.order("1239000.00", services=[("CHK-900", "Chequeo empresarial",
                                                             "1239000.00")])  # fmt: skip
                    day.payment(big, method="transferencia")
                    day.invoice(big)
                day.push_day(seal=True)
        flagged = SedeDay(engine, "S03", today - dt.timedelta(days=6))
        order = flagged.order("55.00", services=[EXAMS[2]])
        flagged.payment(order)
        flagged.invoice(order, state="rechazado")
        flagged.payment(flagged.order("35.00"))  # paid, no document
        flagged.cash_session({"efectivo": 9000}, {"efectivo": 7050})
        flagged.push_day(seal=True)
        # SALUD PLUS: an S01 order billed in F001-1 (due a month ago), an S02 one not billed
        old = SedeDay(engine, "S01", today - dt.timedelta(days=70))
        covered = old.order("1500.00", covered="1200.00", convenio_id=CONV)
        old.push_day(seal=False)
        recent = SedeDay(engine, "S02", today - dt.timedelta(days=20))
        recent.order("30.00", covered="24.00", convenio_id=CONV)
        recent.push_day(seal=False)
        billed = SedeDay(engine, "S01", today - dt.timedelta(days=60))
        inv = billed.invoice(None, doc_type="01", series="F001", number=1, total=120000)
        inv |= {"customer_doc_type": "6", "customer_doc_number": "20503123453",
                "void_requested": False}  # fmt: skip
        link = {
            "id": new_id(), "sede_id": billed.sede_id, "convenio_id": CONV,
            "invoice_id": inv["id"], "order_id": covered["id"],
            "order_number": covered["number"], "month": covered["business_date"][:7],
            "amount": 120000, "business_date": billed.day.isoformat(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(), "credit_note_id": None,
        }  # fmt: skip
        push_rows(engine, [("invoice", inv), ("convenio_invoice_order", link)], node_id="node-S01")
        return flagged.day
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    base = tmp_path_factory.mktemp("hub-walk")
    data = base / "hub"

    def ok(*args: str) -> None:
        done = run_labred(*args)
        assert done.returncode == 0, done.stdout + done.stderr

    ok("migrate", "hub", "--data-dir", str(data))
    (data / "hub.toml").write_text("rate_limit_per_minute = 100000\n")
    ok("hub", "seed", "--data-dir", str(data), "--sedes", "3", "--admin-password", PASSWORD)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running("hub", "serve", "--data-dir", str(data), "--port", str(port),
                 ready_url=f"{url}/ready", log=base / "hub.log"):  # fmt: skip
        today = business_date(SystemClock().now())
        yield Hub(url, today, _seed_sales(data / "pg", today))


@pytest.fixture
def tab(browser: Any, hub: Hub) -> Iterator[Any]:
    """A fresh context (1366x768, es-PE, Lima); page errors, script dialogs and 4xx/5xx
    answers are collected in ``js_errors`` / ``refused``."""
    context = browser.new_context(
        base_url=hub.url, locale="es-PE", timezone_id="America/Lima",
        viewport={"width": 1366, "height": 768}, accept_downloads=True,
    )  # fmt: skip
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.js_errors = []
    page.refused = []
    page.on("pageerror", lambda e: page.js_errors.append(str(e)))
    page.on("dialog", lambda d: (page.js_errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("response", lambda r: page.refused.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)  # fmt: skip
    yield page
    context.close()


def _goto(page: Any, path: str) -> None:
    page.goto(path)
    ready(page)


def _call(page: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """The JSON API with the page's own session (its Bearer token)."""
    status, data = page.evaluate(
        """async ([method, path, body]) => {
          const r = await fetch(path, {method, headers: {'Content-Type': 'application/json',
            Authorization: 'Bearer ' + sessionStorage.getItem('labred_hub_access')},
            body: body === null ? undefined : JSON.stringify(body)});
          const json = (r.headers.get('content-type') || '').includes('json');
          return [r.status, json ? await r.json() : null];
        }""",
        [method, path, body],
    )
    return int(status), data


def _one_line(page: Any, selector: str) -> None:
    expect(page.locator(selector).first).to_be_visible()  # laid out (a hidden node has no lines)
    lines = page.locator(selector).evaluate_all(ONE_LINE)
    assert lines and all(n == 1 for _, n in lines), lines


def _no_clipped_selects(page: Any) -> None:
    assert page.evaluate(CLIPPED_SELECTS) == []


def _download(page: Any, selector: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(selector)
    path = info.value.path()
    return info.value.suggested_filename, Path(path).read_bytes()


def _xlsx_text(data: bytes) -> str:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    return " ".join(str(c) for s in book for r in s.iter_rows(values_only=True) for c in r if c)


def _ensure_supervisor(page: Any) -> None:
    """The supervisor of S01 and S02 (created by the users test; made here when run alone)."""
    status, users = _call(page, "GET", f"/api/web/users?q={SUPERVISOR}")
    assert status == 200, users
    if any(u["username"] == SUPERVISOR for u in users["items"]):
        return
    ids = [s["id"] for s in users["sedes"] if s["code"] in ("S01", "S02")]
    body = {"username": SUPERVISOR, "full_name": "Rosa Quispe Mamani", "role": "supervisor",
            "email": "rosa.quispe@labred.example.pe", "sede_ids": ids,
            "password": PASSWORD}  # fmt: skip
    status, made = _call(page, "POST", "/api/users", body)
    assert status == 201, made


def test_admin_reads_the_tablero_at_both_sizes_and_exports_it(
    tab: Any, hub: Hub, screens: Path
) -> None:
    page = tab
    sign_in_hub(page, "admin", PASSWORD)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        _goto(page, "/panel")
        expect(page.locator("[data-kpi=new_patients] strong")).not_to_have_text("…")
        sales = page.locator("[data-kpi=sales] strong")
        expect(sales).to_have_text(re.compile(r"^S/ 1,2\d\d,\d{3}\.\d\d$"))  # over a million
        # every figure on one line, inside its card
        _one_line(page, ".kpi strong")
        for card in page.locator(".kpi").all():
            box, fig = card.bounding_box(), card.locator("strong").bounding_box()
            assert box and fig and fig["x"] + fig["width"] <= box["x"] + box["width"], (box, fig)
        # the wide chart's text at the size of the other charts' text
        day_lbl = page.locator("#chart-sales_by_day text.lbl").first.bounding_box()
        pay_lbl = page.locator("#chart-payment_methods text.lbl").first.bounding_box()
        assert day_lbl and pay_lbl, (day_lbl, pay_lbl)
        assert day_lbl["height"] < pay_lbl["height"] * 1.2, (day_lbl, pay_lbl)
        svg = page.locator("#chart-sales_by_day svg").bounding_box()
        box = page.locator("#chart-sales_by_day").bounding_box()
        assert svg and box and svg["width"] > box["width"] * 0.95, (svg, box)  # the whole row
        _no_clipped_selects(page)
        shot(page, screens, f"walk-admin-tablero-{width}x{height}")
    # month by month: every month from the first sale (70 days ago) on, named in Spanish
    first, last = hub.today - dt.timedelta(days=70), hub.today - dt.timedelta(days=1)
    expected, (y, m) = [], (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        expected.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    months = page.locator("#chart-monthly rect.bar")
    assert months.evaluate_all("(bs) => bs.map((b) => b.dataset.label)") == expected
    names = page.locator("#chart-monthly text.lbl").evaluate_all(
        "(ts) => ts.map((t) => t.textContent)"
    )
    assert len(names) == len(expected) and all(re.fullmatch(r"[a-z]{3}\. \d{4}", n) for n in names)

    page.select_option("select[name=sede]", label="S01 · Sede Miraflores")
    page.click("#filters button[type=submit]")
    expect(page.locator("#chart-sales_by_day rect.bar[data-label=S02]")).to_have_count(0)
    page.select_option("select[name=report]", "sales")
    name, data = _download(page, "[data-export=xlsx]")
    assert name.endswith(".xlsx") and data[:2] == b"PK"
    text = _xlsx_text(data)
    assert "S01" in text and "S02" not in text and "S03" not in text
    name, data = _download(page, "[data-export=pdf]")
    assert name.endswith(".pdf") and data[:4] == b"%PDF"
    assert page.js_errors == []


def test_admin_runs_a_day_reads_its_findings_and_downloads_them(
    tab: Any, hub: Hub, screens: Path
) -> None:
    page = tab
    sign_in_hub(page, "admin", PASSWORD, to="/panel/cierres")
    # the other days of the three sedes, reconciled through the API (the hub's worker would)
    sedes = {s["code"]: s["id"] for s in _call(page, "GET", "/api/web/sedes")[1]["items"]}
    for back in range(1, 6):
        for sede_id in sedes.values():
            day = (hub.today - dt.timedelta(days=back)).isoformat()
            status, _ = _call(page, "POST", "/api/reconciliation/execute",
                              {"sede_id": sede_id, "date": day})  # fmt: skip
            assert status == 200
    run = page.locator("#run-form")
    run.locator("select[name=sede_id]").select_option(sedes["S03"])
    run.locator("input[name=date]").fill(hub.flagged_day.isoformat())
    run.locator("button").click()
    expect(page.locator("#flash")).to_contain_text("con discrepancias, 3 discrepancia(s)")
    findings = page.locator("#discrepancies tbody tr")
    expect(findings).to_have_count(3)
    short = page.locator("#discrepancies tr[data-kind=cash_short] td")
    expect(short.nth(1)).to_have_text("Faltante de caja")
    expect(short.nth(5)).to_have_text("-S/ 19.50")
    name, data = _download(page, "#closure-detail [data-format=xlsx]")
    text = _xlsx_text(data)
    assert name == f"cierre-S03-{hub.flagged_day.isoformat()}.xlsx"
    # the findings in Spanish, as on the page (the file said "warning cash_short")
    assert "Advertencia Faltante de caja" in text and "Crítica Rechazado por SUNAT" in text
    assert "cash_short" not in text and "critical" not in text and " efectivo " not in text
    name, data = _download(page, "#closure-detail [data-format=pdf]")
    assert name.endswith(".pdf") and data[:4] == b"%PDF"
    shot(page, screens, "walk-admin-cierres-1366x768")

    # "Ver" on the first of 16 closures brings its detail into sight
    _goto(page, "/panel/cierres")
    expect(page.locator("#closures tbody tr")).to_have_count(16)
    first = page.locator("#closures tbody tr").first
    first.locator("button").click()
    title = page.locator("#closure-title")
    expect(title).to_contain_text(first.locator("td").first.inner_text())
    expect(title).to_be_in_viewport()
    assert page.js_errors == []


def test_admin_creates_an_exam_schedules_its_price_and_reads_the_history(
    tab: Any, hub: Hub, screens: Path
) -> None:
    page = tab
    sign_in_hub(page, "admin", PASSWORD, to="/panel/catalogo")
    page.click("#svc-new")
    form = page.locator("#svc-form")
    form.locator("input[name=code]").fill("QA-FER")
    form.locator("input[name=name]").fill("Ferritina sérica")
    form.locator("select[name=category_id]").select_option(index=1)
    form.locator("input[name=sample_type]").fill("Suero")
    form.locator("input[name=price]").fill("1234.50")
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_have_text(
        "QA-FER · Ferritina sérica guardado (precio vigente S/ 1,234.50)."
    )
    expect(page.locator("#svc-editor-title")).to_have_text("Editar QA-FER · Ferritina sérica")
    expect(page.locator("#price-history tbody tr")).to_have_count(1)  # the initial price
    start = hub.today + dt.timedelta(days=10)
    form.locator("input[name=price]").fill("1300.00")
    form.locator("input[name=price_reason]").fill("Nuevo tarifario del proveedor")
    form.locator("input[name=price_effective_from]").fill(start.isoformat())
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text(f"S/ 1,300.00 desde {start:%d/%m/%Y}")
    history = page.locator("#price-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.first.locator("td")).to_have_text(
        [f"{start:%d/%m/%Y}", "S/ 1,300.00", "—", "Programado", "Nuevo tarifario del proveedor",
         "admin", re.compile(r".+")]
    )  # fmt: skip
    _no_clipped_selects(page)
    shot(page, screens, "walk-admin-catalogo-1366x768")
    assert page.js_errors == []


def test_admin_registers_a_convenio_payment_with_kpis_on_one_line(
    tab: Any, hub: Hub, screens: Path
) -> None:
    page = tab
    sign_in_hub(page, "admin", PASSWORD, to="/panel/convenios")
    page.locator("#convenios tbody tr", has_text="SALUD PLUS").locator("button").click()
    expect(page.locator("#conv-detail")).to_be_visible()
    expect(page.locator("#conv-kpis .kpi").first).to_contain_text("S/ 1,224.00")
    _one_line(page, "#conv-kpis .kpi strong")
    pay = page.locator("#pay-form")
    pay.locator("input[name=amount]").fill("500.00")
    pay.locator("select[name=method]").select_option(index=1)
    pay.locator("input[name=reference]").fill("OP-778812")
    pay.locator("select[name=invoice]").select_option(index=1)
    pay.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("Pago registrado: S/ 500.00")
    # the flash comes before the convenio is read again: wait for its new figures
    expect(page.locator("#conv-kpis [data-kpi=paid] strong")).to_have_text("S/ 500.00")
    _one_line(page, "#conv-kpis .kpi strong")
    shot(page, screens, "walk-admin-convenios-1366x768")
    assert page.js_errors == []


def test_admin_adds_a_supervisor_changes_parameters_and_reads_the_audit(
    tab: Any, hub: Hub, screens: Path
) -> None:
    page = tab
    sign_in_hub(page, "admin", PASSWORD, to="/panel/usuarios")
    page.click("#user-new")
    form = page.locator("#user-form")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-error-for=full_name]")).to_have_text(
        re.compile(r"^Nombre completo: ")
    )
    form.locator("input[name=username]").fill(SUPERVISOR)
    form.locator("input[name=full_name]").fill("Rosa Quispe Mamani")
    form.locator("input[name=email]").fill("rosa.quispe@labred.example.pe")
    form.locator("select[name=role]").select_option("supervisor")
    for code in ("S01", "S02"):
        page.locator("#user-sedes label", has_text=code).locator("input").check()
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_have_text(f"Usuario {SUPERVISOR} guardado.")
    expect(page.locator(f"#users tr[data-user='{SUPERVISOR}'] td").nth(4)).to_have_text("S01, S02")

    _goto(page, "/panel/parametros")
    settings = page.locator("#settings-form")
    expect(settings).to_contain_text("Por defecto S/ 50,000.00.")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        _no_clipped_selects(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    settings.locator("input[name=reconciliation_hour]").fill("25:99")
    page.click("#settings-save")
    expect(settings.locator("[data-error-for=reconciliation_hour]")).to_have_text(
        re.compile(r"^Hora de la conciliación: ")
    )
    settings.locator("input[name=reconciliation_hour]").fill("23:30")
    settings.locator("select[name=sunat_factura_void]").select_option("nota_credito")
    settings.locator("input[name=price_override_max]").fill("2500")
    page.click("#settings-save")
    expect(page.locator("#flash")).to_have_text("Parámetros guardados.")
    void = page.locator("#settings-history tr[data-field=sunat_factura_void] td")
    expect(void.nth(2)).to_have_text("Comunicación de baja, en plazo")
    expect(void.nth(3)).to_have_text("Siempre nota de crédito")
    cap = page.locator("#settings-history tr[data-field=price_override_max] td")
    expect(cap.nth(2)).to_have_text("S/ 50,000.00")
    expect(cap.nth(3)).to_have_text("S/ 2,500.00")
    shot(page, screens, "walk-admin-parametros-1366x768")

    _goto(page, "/panel/auditoria")
    rows = page.locator("#audit tbody tr")
    expect(rows.first).to_have_attribute("data-action", re.compile(r".+"))
    created = page.locator("#audit tr[data-action='user.create'] td.details").first
    expect(created).to_have_text(
        f"usuario: {SUPERVISOR} · rol: Supervisor de sede · sedes: S01, S02"
    )
    price = page.locator("#audit tr[data-action='catalog.service_create'] td.details").first
    if price.count():
        expect(price).to_contain_text("precio: S/ ")
    details = " ".join(page.locator("#audit td.details").all_inner_texts())
    for raw in ("price_cents", "sede_ids", "sede_id:", "status: reconciled", "fields:"):
        assert raw not in details, (raw, details[:500])
    _one_line(page, "#audit td.when")
    shot(page, screens, "walk-admin-auditoria-1366x768")
    assert page.js_errors == []


def test_the_supervisor_sees_only_their_sedes_and_a_clear_no_access_page(
    tab: Any, browser: Any, hub: Hub, screens: Path
) -> None:
    page = tab
    sign_in_hub(page, "admin", PASSWORD)
    _ensure_supervisor(page)
    yesterday = (hub.today - dt.timedelta(days=1)).isoformat()
    for sede in _call(page, "GET", "/api/web/sedes")[1]["items"]:  # closures of every sede
        status, _ = _call(page, "POST", "/api/reconciliation/execute",
                          {"sede_id": sede["id"], "date": yesterday})  # fmt: skip
        assert status == 200
    page.context.clear_cookies()
    page.evaluate("sessionStorage.clear()")
    sign_in_hub(page, SUPERVISOR, PASSWORD)
    expect(page.locator("#hdr-user")).to_have_text("Rosa Quispe Mamani · Supervisor de sede")
    mine = ["Todas", "S01 · Sede Miraflores", "S02 · Sede San Isidro"]
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        _goto(page, "/panel")
        expect(page.locator("select[name=sede] option")).to_have_text(mine)
        expect(page.locator("#chart-sales_by_day rect.bar").first).to_be_attached()
        legend = page.locator("#chart-sales_by_day rect.bar").evaluate_all(
            "(bs) => [...new Set(bs.map((b) => b.dataset.label))].sort()"
        )
        assert legend == ["S01", "S02"], legend
        _one_line(page, ".kpi strong")
        shot(page, screens, f"walk-supervisor-tablero-{width}x{height}")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.select_option("select[name=report]", "sales")
    _, data = _download(page, "[data-export=xlsx]")
    text = _xlsx_text(data)
    assert "S01" in text and "S02" in text and "S03" not in text

    _goto(page, "/panel/cierres")
    expect(page.locator("#closure-filters select[name=sede] option")).to_have_text(mine)
    codes = page.locator("#closures tbody tr td:nth-child(2)")
    expect(codes.first).to_have_text(re.compile(r"^S0[12]$"))
    assert set(codes.all_inner_texts()) <= {"S01", "S02"}
    _goto(page, "/panel/auditoria")
    expect(page.locator("#audit-filters select[name=sede_id] option")).to_have_text(
        ["Todas mis sedes", *mine[1:]]
    )
    sedes = page.locator("#audit tbody tr td:nth-child(2)").all_inner_texts()
    assert sedes and set(sedes) <= {"S01", "S02"}, sedes
    shot(page, screens, "walk-supervisor-auditoria-1366x768")

    refused_before = len(page.refused)
    for path, title in (("/panel/sedes", "Sedes y sincronización"),
                        ("/panel/conflictos", "Conflictos de sincronización"),
                        ("/panel/laboratorios", "Sistemas de laboratorio")):  # fmt: skip
        _goto(page, path)
        expect(page.locator("main h1")).to_have_text("Sin acceso")
        expect(page.locator("#forbidden")).to_contain_text(
            f"Su rol (Supervisor de sede) no tiene acceso a la página «{title}»."
        )
        expect(page.locator("#forbidden a")).to_have_text("Ir a Tablero")
        expect(page.locator("#flash")).to_be_hidden()
        expect(page.locator("main")).not_to_contain_text("Cargando")
        expect(page.locator(f"nav a[href='{path}']")).to_be_hidden()
    assert page.refused[refused_before:] == []  # no call the API would refuse
    shot(page, screens, "walk-supervisor-sin-acceso-1366x768")
    page.click("#forbidden a")
    page.wait_for_url(re.compile(r"/panel$"))
    assert page.js_errors == []
