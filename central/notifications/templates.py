"""Default Spanish templates and sandboxed Jinja2 rendering."""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from central.notifications.template_errors import render_error, syntax_error

_ENV = SandboxedEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True)

# (event, channel) -> (name, subject, body)
DEFAULTS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("order_created", "email"): (
        "Orden registrada (correo)",
        "Su orden {{ order_number }} fue registrada",
        "Hola {{ patient_name }}:\n\nRegistramos su orden {{ order_number }} en {{ sede_name }} "
        "por S/ {{ total }}.\nLe avisaremos cuando sus resultados estén listos.\n\n"
        "{{ company_name }}",
    ),
    ("order_created", "whatsapp"): (
        "Orden registrada (WhatsApp)",
        "",
        "Hola {{ patient_name }}, registramos su orden {{ order_number }} en {{ sede_name }} "
        "por S/ {{ total }}. Le avisaremos cuando sus resultados estén listos.",
    ),
    ("invoice_accepted", "email"): (
        "Comprobante aceptado (correo)",
        "Su comprobante {{ document }} — {{ company_name }}",
        "Hola {{ patient_name }}:\n\nAdjuntamos su {{ document_label }} {{ document }} por "
        "S/ {{ total }}, aceptado por SUNAT.\n\n{{ company_name }}",
    ),
    ("invoice_accepted", "whatsapp"): (
        "Comprobante aceptado (WhatsApp)",
        "",
        "Hola {{ patient_name }}, su {{ document_label }} {{ document }} por S/ {{ total }} fue "
        "aceptado por SUNAT. Se lo enviamos también por correo si nos dio uno.",
    ),
    ("results_ready", "email"): (
        "Resultados listos (correo)",
        "Sus resultados de la orden {{ order_number }} están listos",
        "Hola {{ patient_name }}:\n\nLos resultados de su orden {{ order_number }} ya están "
        "listos. Puede recogerlos en {{ sede_name }}.\n\n{{ company_name }}",
    ),
    ("results_ready", "whatsapp"): (
        "Resultados listos (WhatsApp)",
        "",
        "Hola {{ patient_name }}, los resultados de su orden {{ order_number }} ya están listos. "
        "Puede recogerlos en {{ sede_name }}.",
    ),
    ("discrepancy_found", "alert"): (
        "Discrepancias en la conciliación (alerta)",
        "Conciliación {{ sede_code }} {{ business_date }}: {{ discrepancies }} discrepancia(s)",
        "La conciliación del {{ business_date }} de la sede {{ sede_code }} encontró "
        "{{ discrepancies }} discrepancia(s), {{ critical }} crítica(s).\n"
        "{% for d in findings %}- {{ d }}\n{% endfor %}",
    ),
}

EVENTS = ("order_created", "invoice_accepted", "results_ready", "discrepancy_found", "manual")


def check(text: str, *, field: str) -> None:
    """Raise ``InvalidInput`` (``template_syntax_error``, Spanish, with the line, ``loc`` the
    field) when ``text`` is not a valid template; compiled, so unknown filters count too."""
    try:
        _ENV.from_string(text)
    except TemplateSyntaxError as exc:
        raise syntax_error(exc, field=field) from None


def render(text: str, context: dict[str, Any], *, field: str | None = None) -> str:
    """Render in the sandbox (no attribute access to internals; unknown names render empty).

    Failures are ``InvalidInput`` in Spanish with the template line:
    ``template_undefined_variable`` (``{{ x.y }}`` with no ``x``), ``template_syntax_error``,
    or ``template_render_failed``; ``loc`` is ``["body", field]`` when ``field`` is given."""
    try:
        return _ENV.from_string(text).render(**context).strip()
    except TemplateSyntaxError as exc:
        raise syntax_error(exc, field=field) from None
    except Exception as exc:  # noqa: BLE001 - a broken template must not stop the queue
        raise render_error(exc, field=field) from None
