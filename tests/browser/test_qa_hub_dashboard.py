"""QA of the hub dashboard in headless Chromium against a real HTTP server (uvicorn).

What a day's use by the chain's admin and by a supervisor de sede found, each pinned here:

- a supervisor's sede filter was empty and the closures showed sede ids (the pages asked
  ``/api/config/locations``, ``config.manage``: 403), the catalog offered them price fields
  whose every save was refused, and the users page listed other sedes as "otra, otra";
- an empty sign-in form answered "Texto demasiado corto. Texto demasiado corto.";
- the catalog, the closures and the notification history stopped at their first 100 rows;
- findings, severities, conflicts and notification events showed their English codes, and a
  reopened (or not yet reconciled) closure still offered the reopening the hub refuses;
- "Pacientes nuevos" disagreed with the patients chart on the same page;
- a long user name squeezed the navigation into one column, long exam names were cut on the
  left of the chart, and after a filter error the figures of the previous filter stayed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from central.catalog.models import CatalogService
from central.db import unit_of_work
from central.notifications.models import Notification
from central.reconciliation.models import Closure, Discrepancy
from central.runtime import HubRuntime
from central.sync.models import SyncConflict
from domain.clock import business_date
from domain.ids import new_id, sede_id_for
from domain.permissions import Role
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    ready,
    sign_in_hub,
)
from tests.central.auth.factories import make_user
from tests.central.reconciliation.builders import SedeDay

ANY_TEXT = re.compile(r".+")
LONG_EXAM = "Prueba de embarazo en sangre (β-hCG cualitativa) con informe"


def _refusals(page: Any) -> list[str]:
    """Every 4xx/5xx answer the page gets (filled as it goes)."""
    seen: list[str] = []
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return seen


def _closures(rt: HubRuntime, days: int) -> None:
    """Reconciled closures of S01 and S02 for ``days`` days; the latest S02 one has a finding."""
    now = rt.clock.now()
    today = business_date(now)
    with unit_of_work(rt.engine) as session:
        for back in range(1, days + 1):
            for code in ("S01", "S02"):
                critical = code == "S02" and back == 1
                closure = Closure(
                    sede_id=sede_id_for(code),
                    business_date=today - dt.timedelta(days=back),
                    status="with_discrepancies" if critical else "reconciled",
                    discrepancy_count=int(critical),
                    critical_count=int(critical),
                    closed_at=now,
                    executed_at=now,
                    created_at=now,
                    updated_at=now,
                )
                session.add(closure)
                if critical:
                    session.add(
                        Discrepancy(
                            closure_id=closure.id,
                            sede_id=closure.sede_id,
                            business_date=closure.business_date,
                            kind="document_rejected",
                            severity="critical",
                            key="document_rejected",
                            message="1 comprobante(s) rechazado(s) por SUNAT: FC02-1",
                            amount_cents=4300,
                            created_at=now,
                            updated_at=now,
                        )
                    )


def test_a_supervisor_filters_by_their_sede_sees_codes_and_reads_the_catalog(
    hub_page: Any, hub_url: str, hub_runtime: HubRuntime
) -> None:
    _closures(hub_runtime, 2)
    page = hub_page
    page.goto("/panel/ingresar")
    ready(page)
    page.keyboard.press("Enter")  # nothing typed: one clear message, no request
    expect(page.locator("#login-error")).to_have_text("Escriba su usuario.")
    page.fill("input[name=username]", "supervisor.s01")
    page.keyboard.press("Enter")
    expect(page.locator("#login-error")).to_have_text("Escriba su contraseña.")
    refused = _refusals(page)
    sign_in_hub(page, "supervisor.s01", HUB_ADMIN_PASSWORD)
    options = page.locator("select[name=sede] option")
    expect(options).to_have_count(2)  # Todas + their own sede (nothing was there before)
    expect(options.nth(1)).to_contain_text("S01")
    expect(page.locator("[data-kpi=sales] strong")).to_have_text("S/ 125.50")  # S01 only
    page.select_option("select[name=sede]", index=1)
    page.click("#filters button[type=submit]")
    expect(page.locator("[data-kpi=sales] strong")).to_have_text("S/ 125.50")

    page.goto("/panel/cierres")
    ready(page)
    rows = page.locator("#closures tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.locator("td:nth-child(2)")).to_have_text(["S01", "S01"])  # codes, not ids

    page.goto("/panel/usuarios")
    ready(page)
    # the admin works at S01 and S02: the supervisor sees their code and a count, not "otra"
    expect(page.locator("#users tr[data-user=admin] td").nth(4)).to_have_text("S01 y 1 sede más")

    page.goto("/panel/catalogo")
    ready(page)
    expect(page.locator("#services tbody tr").first).to_contain_text("S/")
    expect(page.locator("#services input[name=price]")).to_have_count(0)
    expect(page.locator("#services button")).to_have_count(0)
    expect(page.locator("#services th", has_text="Nuevo precio")).to_be_hidden()
    assert refused == [] and page.js_errors == []


def test_admin_pages_through_catalog_closures_and_notifications_in_spanish(
    hub_page: Any, hub_url: str, hub_runtime: HubRuntime
) -> None:
    now = hub_runtime.clock.now()
    with unit_of_work(hub_runtime.engine) as session:
        for i in range(60):
            session.add(CatalogService(code=f"ZQA-{i:03d}", name=f"Examen QA {i}",
                                       price_cents=1000 + i, updated_at=now))  # fmt: skip
        for i in range(105):
            session.add(
                Notification(
                    id=new_id(),
                    event_key=f"results_ready:{i}",
                    event="results_ready",
                    channel="whatsapp",
                    recipient=f"9{i:08d}",
                    sede_id=sede_id_for("S01"),
                    created_at=now - dt.timedelta(minutes=i),
                )
            )
    _closures(hub_runtime, 27)  # 54 closures: more than one page of 50
    with unit_of_work(hub_runtime.engine) as session:
        session.add(
            SyncConflict(
                kind="duplicate_identity", record_type="patient", record_id="p-1",
                details={"doc_type": "1", "doc_number": "70000001"}, created_at=now,
            )
        )  # fmt: skip
        session.add(
            SyncConflict(
                kind="concurrent_field_edit", record_type="patient", record_id="p-1",
                field="phone", kept_value="987654321", other_value="912345678", created_at=now,
            )
        )  # fmt: skip
    page = hub_page
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD, to="/panel/catalogo")
    codes: list[str] = []
    pager = page.locator("#svc-pager")
    expect(pager.locator("[data-range]")).to_contain_text("1–50 de ")
    total = int(pager.locator("[data-range]").inner_text().rsplit(" ", 1)[1])
    assert total > 60
    while True:
        rows = page.locator("#services tbody tr")
        expect(rows.first).to_have_attribute("data-code", ANY_TEXT)
        codes += [rows.nth(i).get_attribute("data-code") or "" for i in range(rows.count())]
        nxt = pager.locator("[data-page=next]")
        if nxt.is_disabled():
            break
        first = rows.first.get_attribute("data-code")
        nxt.click()
        expect(page.locator("#services tbody tr").first).not_to_have_attribute("data-code", first)
    assert len(codes) == len(set(codes)) == total
    assert {f"ZQA-{i:03d}" for i in range(60)} <= set(codes)

    page.goto("/panel/cierres")
    ready(page)
    expect(page.locator("#closures tbody tr")).to_have_count(50)
    expect(page.locator("#closures-pager [data-range]")).to_have_text("1–50 de 54")
    page.locator("#closures tbody tr.warn button").click()
    finding = page.locator("#discrepancies tbody tr[data-kind=document_rejected]")
    expect(finding.locator("td").nth(0)).to_have_text("Crítica")
    expect(finding.locator("td").nth(1)).to_have_text("Rechazado por SUNAT")
    reason = page.locator("#reopen-form input[name=reason]")
    reason.fill("abc")
    page.click("#reopen-form button")
    expect(page.locator("#reopen-error")).to_be_visible()
    expect(reason).to_have_value("abc")  # the input survives the error
    reason.fill("Llegó el pago con tarjeta que faltaba del POS 2")
    page.click("#reopen-form button")
    expect(page.locator("#flash")).to_have_text("Cierre reabierto.")
    expect(page.locator("#closure-title")).to_contain_text("· Reabierto")
    expect(page.locator("#closure-reopen-info")).to_contain_text("POS 2")
    expect(page.locator("#reopen-form")).to_be_hidden()  # a reopened day cannot be reopened
    page.click("#closures-pager [data-page=next]")
    expect(page.locator("#closures tbody tr")).to_have_count(4)
    expect(page.locator("#closures-pager [data-range]")).to_have_text("51–54 de 54")

    page.goto("/panel/conflictos")
    ready(page)
    conflict = page.locator("#conflicts tr[data-kind=duplicate_identity] td")
    expect(conflict.nth(1)).to_have_text("Paciente duplicado (mismo documento)")
    expect(conflict.nth(2)).to_contain_text("Paciente p-1 (doc. 70000001)")
    expect(page.locator("#conflicts tr[data-kind=concurrent_field_edit] td").nth(3)).to_have_text(
        "Teléfono"
    )

    page.goto("/panel/notificaciones")
    ready(page)
    expect(page.locator("#notifications tbody tr")).to_have_count(100)
    expect(page.locator("#notifications tbody tr").first.locator("td").nth(1)).to_have_text(
        "Resultados listos"
    )
    page.click("#ntf-pager [data-page=next]")
    expect(page.locator("#notifications tbody tr")).to_have_count(5)
    expect(page.locator("#ntf-pager [data-range]")).to_have_text("101–105")
    expect(page.locator("#ntf-pager [data-page=next]")).to_be_disabled()
    assert page.js_errors == []


def test_new_patients_long_names_and_a_filter_error_at_1366x768(
    hub_page: Any, hub_url: str, hub_runtime: HubRuntime
) -> None:
    today = business_date(hub_runtime.clock.now())
    day = SedeDay(hub_runtime.engine, "S01", today - dt.timedelta(days=3))
    day.payment(day.order("30.00", services=[("INM-010", LONG_EXAM, "30.00")]))
    day.order("25.00", status="anulada")  # a new patient whose only order was cancelled
    day.push(day.all_rows())
    user = make_user(hub_runtime, Role.ADMIN, username="admin.largo", password=HUB_ADMIN_PASSWORD)
    with unit_of_work(hub_runtime.engine) as session:
        row = session.get(type(user), user.id)
        assert row is not None
        row.full_name = ("María del Carmen Ñahui Quispe de la Torre y Fernández-Villanueva "
                         "Saavedra Huamán Condori")  # fmt: skip
    page = hub_page
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in_hub(page, "admin.largo", HUB_ADMIN_PASSWORD)

    # the page's "Pacientes nuevos" is the chart's "Nuevo" (4 with a valid order; the one
    # whose only order was cancelled is not a new patient of the period)
    new = page.locator("#chart-patients rect.bar[data-label=Nuevo]")
    expect(new).to_have_attribute("data-value", "4")
    expect(page.locator("[data-kpi=new_patients] strong")).to_have_text("4")

    # the header keeps the navigation in rows; the whole name is in the tooltip
    header = page.locator("header.top").bounding_box()
    nav = page.locator("header nav").bounding_box()
    assert header and nav and header["height"] < 140 and nav["width"] > 600, (header, nav)
    expect(page.locator("#hdr-user")).to_have_attribute("title", ANY_TEXT)

    # every label of the exams chart starts inside the chart
    labels = page.locator("#chart-top_services text.lbl")
    expect(labels.first).to_be_visible()
    lefts = labels.evaluate_all("(ts) => ts.map((t) => t.getBBox().x)")
    assert lefts and min(lefts) >= 0, lefts
    expect(page.locator(f"#chart-top_services rect.bar[data-label='{LONG_EXAM}']")).to_have_count(1)

    # a refused filter leaves no figures of the previous one next to its message
    page.fill("input[name=from]", today.isoformat())
    page.fill("input[name=to]", (today - dt.timedelta(days=1)).isoformat())
    page.click("#filters button[type=submit]")
    expect(page.locator("#filter-error")).to_have_text("La fecha inicial es posterior a la final.")
    expect(page.locator("#kpis .kpi")).to_have_count(0)
    expect(page.locator("#chart-sales_by_day svg")).to_have_count(0)
    assert page.js_errors == []
