"""Template errors told to the admin in Spanish, with the line, a stable code and the field:
syntax errors when saving or previewing, undefined variables when rendering."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from central.notifications import templates
from central.runtime import HubRuntime
from domain.errors import InvalidInput
from tests.central.auth.factories import auth_headers

ENGLISH = re.compile(r"unexpected|expected|undefined|Encountered|tag|Missing|is unsafe", re.I)


def _check_error(text: str, field: str = "body") -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        templates.check(text, field=field)
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("Hola {{ patient_name ", 1, "la plantilla termina sin cerrar: falta «}}»"),
        (
            "Hola\n\n{% for d in findings %}- {{ d }}",
            3,
            "cierre el bloque «{% for %}» con «{% endfor %}»",
        ),
        ("{% if total %}x{% endfor %}", 1, "«{% endfor %}» no corresponde aquí"),
        ("a\n{% fi %}", 2, "etiqueta desconocida o fuera de lugar: «{% fi %}»"),
        ("{{ total ! }}", 1, "carácter no permitido dentro de la expresión: «!»"),
        ("{{ 'abc }}", 1, "comillas sin cerrar"),
        ("{{ }}", 1, "falta una variable o expresión antes de «}}»"),
        ("{{ total|moneda }}", 1, "el filtro «moneda» no existe"),
        ("{{ patient nombre }}", 1, "se esperaba «}}» y se encontró «nombre»"),
        ("{# nota", 1, "falta cerrar el comentario con «#}»"),
    ],
)
def test_syntax_errors_in_spanish_with_line(text: str, line: int, says: str) -> None:
    error = _check_error(text)
    assert error.code == "template_syntax_error"
    assert error.loc == ["body", "body"]
    assert error.msg.startswith(
        f"La plantilla tiene un error de sintaxis en la línea {line} del texto: "
    )
    assert says in error.msg
    assert not ENGLISH.search(error.msg.replace("endfor", "").replace("fi %", "")), error.msg


def test_subject_errors_name_the_subject() -> None:
    error = _check_error("Orden {{ order_number", field="subject")
    assert error.loc == ["body", "subject"] and "línea 1 del asunto" in error.msg


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("Hola\n{{ paciente.nombre }}", 2, "la variable «paciente» no existe"),
        ("{{ saludo() }}", 1, "la variable «saludo» no existe"),
        ("x\ny\n{{ patient_name.first.last }}", 3, "el valor no tiene el atributo «first»"),
    ],
)
def test_undefined_variables_in_spanish_with_line(text: str, line: int, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        templates.render(text, {"patient_name": "Ana"}, field="body")
    error = caught.value
    assert error.code == "template_undefined_variable"
    assert error.loc == ["body", "body"]
    assert error.msg == (
        f"La plantilla usa una variable no definida en la línea {line} del texto: {says}."
    )


def test_other_render_failures_stay_spanish() -> None:
    with pytest.raises(InvalidInput) as caught:
        templates.render("a\n{{ ''.__class__.__mro__ }}", {}, field="subject")
    assert caught.value.code == "template_render_failed"
    assert caught.value.msg == (
        "La plantilla tiene un error en la línea 2 del asunto: "
        "la plantilla intenta acceder a algo no permitido."
    )
    with pytest.raises(InvalidInput) as caught:
        templates.render("{{ total + 1 }}", {"total": "9.00"})
    assert caught.value.loc == [] and "línea 1:" in caught.value.msg


def test_unknown_plain_names_still_render_empty() -> None:
    assert templates.render("Hola {{ nadie }}.", {}) == "Hola ."
    for (_event, _channel), (_name, subject, body) in templates.DEFAULTS.items():
        templates.check(subject, field="subject")
        templates.check(body, field="body")


def test_the_api_answers_in_spanish(hub_runtime: HubRuntime, hub_client: TestClient) -> None:
    admin = auth_headers(hub_runtime)
    items = hub_client.get("/api/notifications/templates", headers=admin).json()["items"]
    tpl = next(t for t in items if (t["event"], t["channel"]) == ("order_created", "email"))
    r = hub_client.put(
        f"/api/notifications/templates/{tpl['id']}",
        json={"body": "Hola {{ patient_name }}\n{% if total %}S/ {{ total }}"},
        headers=admin,
    )
    assert r.status_code == 422
    [detail] = r.json()["detail"]
    assert detail["type"] == "template_syntax_error" and detail["loc"] == ["body", "body"]
    assert detail["msg"].startswith(
        "La plantilla tiene un error de sintaxis en la línea 2 del texto:"
    )
    assert "«{% endif %}»" in detail["msg"]

    r = hub_client.post(
        "/api/notifications/email",
        headers=admin,
        json={"to": ["ana@example.pe"], "subject": "Aviso", "body": "Hola\n{{ paciente.nombre }}"},
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "type": "template_undefined_variable",
            "msg": "La plantilla usa una variable no definida en la línea 2 del texto: "
            "la variable «paciente» no existe.",
            "loc": ["body", "body"],
        }
    ]

    # The admin page's preview (central/web) shows the same Spanish message.
    r = hub_client.post(
        "/api/web/notification-templates/preview",
        headers=admin,
        json={"subject": "Orden {{ order_number", "body": "x"},
    )
    assert r.status_code == 422
    [detail] = r.json()["detail"]
    assert (detail["type"], detail["loc"]) == ("template_syntax_error", ["body", "subject"])
    assert "línea 1 del asunto" in detail["msg"]


@pytest.mark.parametrize(
    ("subject", "body", "field", "line", "label", "says"),
    [
        ("Orden {{ orden.numero }}", "Hola", "subject", 1, "asunto", "«orden»"),
        ("Aviso", "Hola\n\n{{ paciente.nombre }}", "body", 3, "texto", "«paciente»"),
        ("Aviso", "{{ patient_name.first.x }}", "body", 1, "texto", "atributo «first»"),
    ],
)
def test_preview_shows_an_undefined_variable_next_to_its_field(
    hub_runtime: HubRuntime,
    hub_client: TestClient,
    subject: str,
    body: str,
    field: str,
    line: int,
    label: str,
    says: str,
) -> None:
    r = hub_client.post(
        "/api/web/notification-templates/preview",
        headers=auth_headers(hub_runtime),
        json={"subject": subject, "body": body},
    )
    assert r.status_code == 422, r.text
    [detail] = r.json()["detail"]
    assert (detail["type"], detail["loc"]) == ("template_undefined_variable", ["body", field])
    assert f"en la línea {line} del {label}:" in detail["msg"] and says in detail["msg"]
    assert detail["msg"].startswith("La plantilla usa una variable no definida")
