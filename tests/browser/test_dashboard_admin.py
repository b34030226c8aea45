"""The hub dashboard's administration pages in headless Chromium over real HTTP.

An admin manages users (create, edit, reset password, deactivate), sedes and their series,
settings (with history), notification templates (edit, preview) and sees the notification
history and the SUNAT alarms of every sede; each rejected form keeps what was typed and shows
the error next to the field. A supervisor sees the same pages, read-only and limited to their
sede. Every user-supplied text renders as text (a name that is markup opens no dialog).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from central.runtime import HubRuntime
from domain.clock import business_date
from domain.ids import sede_id_for
from domain.permissions import Role
from tests.browser.conftest import (
    HUB_ADMIN_PASSWORD,
    expect,
    ready,
    shot,
    sign_in_hub,
)
from tests.central.auth.factories import make_user
from tests.central.reconciliation.builders import SedeDay

XSS = "<img src=x onerror=alert(1)>"


def _alarms(rt: HubRuntime) -> None:
    today = business_date(rt.clock.now())
    s1 = SedeDay(rt.engine, "S01", today - dt.timedelta(days=6))
    s1.invoice(None, series="B001", number=41, state="pendiente",
               deadline=today - dt.timedelta(days=2))  # fmt: skip
    s2 = SedeDay(rt.engine, "S02", today - dt.timedelta(days=2))
    s2.invoice(None, doc_type="01", series="F002", number=9, state="rechazado")
    s1.push(s1.all_rows())
    s2.push(s2.all_rows())


def go(page: Any, path: str) -> None:
    page.click(f"nav a[href='/panel/{path}']")
    page.wait_for_url(re.compile(f"/panel/{path}$"))
    ready(page)


def test_admin_manages_users_sedes_settings_and_templates(
    hub_page: Any, hub_runtime: HubRuntime, screens: Path
) -> None:
    page = hub_page
    _alarms(hub_runtime)
    sign_in_hub(page, "admin", HUB_ADMIN_PASSWORD)

    # ---- users: a rejected form keeps every field and shows the error beside it
    go(page, "usuarios")
    expect(page.locator("#users tr[data-user=admin]")).to_have_count(1)
    expect(page.locator("#roles tr[data-role=supervisor]")).to_contain_text("Aprobar descuentos")
    page.click("#user-new")
    form = page.locator("#user-form")
    form.locator("input[name=username]").fill("ana perez")  # a space: refused
    form.locator("input[name=full_name]").fill(XSS)
    form.locator("input[name=email]").fill("ana.perez@labred.pe")
    form.locator("select[name=role]").select_option("recepcionista")
    form.locator(f"input[name=sede_ids][value='{sede_id_for('S01')}']").check()
    form.locator("input[name=password]").fill("clave-inicial-segura-1")
    form.locator("input[name=password]").press("Enter")
    expect(form.locator("[data-error-for=username]")).not_to_be_empty()
    expect(form.locator("input[name=full_name]")).to_have_value(XSS)
    expect(form.locator(f"input[name=sede_ids][value='{sede_id_for('S01')}']")).to_be_checked()
    shot(page, screens, "hub-10-usuario-error")
    form.locator("input[name=username]").fill("ana.perez")
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("ana.perez")
    row = page.locator("#users tr[data-user='ana.perez']")
    expect(row).to_contain_text(XSS)  # as text
    expect(row).to_contain_text("S01")
    # edit: supervisor of S01 and S02
    row.locator("button").click()
    form.locator("select[name=role]").select_option("supervisor")
    form.locator(f"input[name=sede_ids][value='{sede_id_for('S02')}']").check()
    form.locator("button[type=submit]").click()
    expect(row).to_contain_text("Supervisor de sede")
    expect(row).to_contain_text("S01, S02")
    # reset password: a weak one is refused, a good one accepted
    row.locator("button").click()
    reset = page.locator("#reset-form")
    reset.locator("input[name=new_password]").fill("123")
    reset.locator("button").click()
    expect(reset.locator("[data-error-for=new_password]")).to_contain_text("8 caracteres")
    reset.locator("input[name=new_password]").fill("otra-clave-muy-segura-2")
    reset.locator("button").click()
    expect(page.locator("#flash")).to_contain_text("Contraseña actualizada")
    # deactivate
    page.click("#user-deactivate")
    expect(page.locator("#flash")).to_contain_text("desactivado")
    expect(row).to_contain_text("Inactivo")
    shot(page, screens, "hub-11-usuarios")

    # ---- sedes and series
    go(page, "sedes-series")
    s1 = page.locator("#sedes-admin tr[data-sede=S01]")
    expect(s1).to_contain_text("Boleta: B001")
    s1.locator("button").click()
    sform = page.locator("#sede-form")
    sform.locator("input[data-series='03']").fill("X001")
    sform.locator("input[name=cash_threshold]").fill("3500.00")
    sform.locator("button[type=submit]").click()
    expect(sform.locator("[data-error-for=series]")).to_contain_text("B001")
    expect(sform.locator("input[name=cash_threshold]")).to_have_value("3500.00")
    expect(sform.locator("input[data-series='03']")).to_have_value("X001")
    sform.locator("input[data-series='03']").fill("B101")
    sform.locator("button[type=submit]").click()
    expect(s1).to_contain_text("Boleta: B101")
    expect(s1).to_contain_text("S/ 3,500.00")
    page.click("#sede-new")
    sform.locator("input[name=code]").fill("S03")
    sform.locator("input[name=name]").fill("Sede San Isidro")
    sform.locator("input[name=address]").fill("Av. Javier Prado Este 123")
    sform.locator("button[type=submit]").click()
    expect(page.locator("#sedes-admin tr[data-sede=S03]")).to_contain_text("Sede San Isidro")
    shot(page, screens, "hub-12-sedes-series")

    # ---- settings with history
    go(page, "parametros")
    sets = page.locator("#settings-form")
    expect(sets.locator("select[name=sunat_factura_void]")).to_have_value("baja")
    sets.locator("input[name=reconciliation_hour]").fill("25:00")
    sets.locator("input[name=discount_approval_threshold_pct]").fill("15")
    sets.locator("select[name=sunat_factura_void]").select_option("nota_credito")
    sets.locator("input[name=sunat_baja_days]").fill("9")
    expect(sets.locator("input[name=price_override_max]")).to_have_value("50000.00")
    sets.locator("input[name=price_override_max]").fill("0")
    sets.locator("button[type=submit]").click()
    expect(sets.locator("[data-error-for=reconciliation_hour]")).not_to_be_empty()
    expect(sets.locator("[data-error-for=sunat_baja_days]")).not_to_be_empty()
    expect(sets.locator("[data-error-for=price_override_max]")).to_contain_text("mayor que 0")
    sets.locator("input[name=sunat_baja_days]").fill("5")
    sets.locator("input[name=price_override_max]").fill("75000")
    expect(sets.locator("input[name=discount_approval_threshold_pct]")).to_have_value("15")
    sets.locator("input[name=reconciliation_hour]").fill("22:30")
    sets.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("Parámetros guardados")
    history = page.locator("#settings-history")
    expect(history.locator("tr[data-field=reconciliation_hour]")).to_contain_text("22:30")
    expect(history.locator("tr[data-field=discount_approval_threshold_pct]")).to_contain_text("15")
    expect(history.locator("tr[data-field=sunat_factura_void]")).to_contain_text(
        "Siempre nota de crédito"
    )
    expect(history.locator("tr[data-field=sunat_baja_days]")).to_contain_text("5")
    expect(history.locator("tr[data-field=price_override_max]")).to_contain_text("S/ 75,000.00")
    expect(sets.locator("input[name=price_override_max]")).to_have_value("75000.00")
    shot(page, screens, "hub-13-parametros")

    # ---- notification templates: preview, a broken one refused beside the body, then saved
    go(page, "plantillas")
    page.locator("#templates tr[data-template='order_created:email'] button").click()
    tform = page.locator("#tpl-form")
    tform.locator("textarea[name=body]").fill("Hola {{ patient_name }}, orden {{ order_number")
    page.click("#tpl-preview")
    expect(tform.locator("[data-error-for=body]")).to_contain_text("error")
    expect(tform.locator("textarea[name=body]")).to_have_value(
        "Hola {{ patient_name }}, orden {{ order_number"
    )
    tform.locator("textarea[name=body]").fill(f"Hola {{{{ patient_name }}}} {XSS}")
    page.click("#tpl-preview")
    expect(page.locator("#pv-body")).to_have_text(f"Hola María Pérez Quispe {XSS}")
    subject = tform.locator("[name=subject]")
    kept_subject = subject.input_value()
    subject.fill("Orden {{ orden.numero }}")  # undefined while rendering: beside the subject
    page.click("#tpl-preview")
    expect(tform.locator("[data-error-for=subject]")).to_contain_text("variable no definida")
    subject.fill(kept_subject)
    page.click("#tpl-preview")
    expect(tform.locator("[data-error-for=subject]")).to_be_empty()
    tform.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("guardada")
    shot(page, screens, "hub-14-plantillas")

    # ---- history and alarms
    go(page, "notificaciones")
    expect(page.locator("#notifications tbody")).not_to_contain_text("Cargando")
    shot(page, screens, "hub-15-notificaciones")
    go(page, "alarmas")
    expect(page.locator("#alarms tr[data-document='B001-41']")).to_contain_text("Fuera de plazo")
    expect(page.locator("#alarms tr[data-document='F002-9']")).to_contain_text("Rechazado")
    page.locator("select[name=sede]").select_option(sede_id_for("S02"))
    page.locator("#alarm-filter button").click()
    expect(page.locator("#alarms tr[data-document='B001-41']")).to_have_count(0)
    expect(page.locator("#alarms tr[data-document='F002-9']")).to_have_count(1)
    shot(page, screens, "hub-16-alarmas")
    assert page.js_errors == []


def test_supervisor_sees_read_only_pages_of_their_sede(
    hub_page: Any, hub_runtime: HubRuntime
) -> None:
    _alarms(hub_runtime)
    make_user(hub_runtime, Role.RECEPCIONISTA, username="recep.s2", sede_ids=[sede_id_for("S02")])
    sup = make_user(
        hub_runtime, Role.SUPERVISOR, username="sup.s1", sede_ids=[sede_id_for("S01")],
        password="clave-supervisora-1",
    )  # fmt: skip
    page = hub_page
    sign_in_hub(page, sup.username, "clave-supervisora-1")
    go(page, "usuarios")
    expect(page.locator("#users tr[data-user='sup.s1']")).to_have_count(1)
    expect(page.locator("#users tr[data-user='recep.s2']")).to_have_count(0)
    expect(page.locator("#user-new")).to_be_hidden()
    expect(page.locator("#users tbody button")).to_have_count(0)
    expect(page.locator("#roles-section")).to_be_hidden()
    go(page, "sedes-series")
    expect(page.locator("#sedes-admin tbody tr")).to_have_count(1)
    expect(page.locator("#sede-new")).to_be_hidden()
    go(page, "parametros")
    expect(page.locator("#settings-save")).to_be_hidden()
    expect(page.locator("input[name=reconciliation_hour]")).to_have_attribute("readonly", "")
    expect(page.locator("select[name=sunat_factura_void]")).to_be_disabled()
    go(page, "alarmas")
    expect(page.locator("#alarms tr[data-document='B001-41']")).to_have_count(1)
    expect(page.locator("#alarms tr[data-document='F002-9']")).to_have_count(0)
    assert page.js_errors == []
