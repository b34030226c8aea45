"""Jinja's English errors, told to the admin who edits a template in Spanish.

A syntax error (raised when the template is saved or previewed) becomes ``InvalidInput`` with
code ``template_syntax_error``; an undefined variable met while rendering (``{{ x.y }}`` with
no ``x``: plain unknown names render empty) becomes ``template_undefined_variable``; anything
else while rendering stays ``template_render_failed``. Every message names the line and the
field ("asunto" or "texto"), and ``loc`` is ``["body", field]`` when the field is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import TracebackType

from jinja2 import TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from domain.errors import InvalidInput

FIELD_LABELS = {"subject": "asunto", "body": "texto"}

# Jinja's names for tokens, as the admin types them.
_TOKENS = {
    "end of print statement": "}}",
    "end of statement block": "%}",
    "end of template": "el final de la plantilla",
    "begin of print statement": "{{",
    "begin of statement block": "{%",
    "name": "un nombre",
    "integer": "un número",
    "string": "un texto entre comillas",
}


def _token(name: str) -> str:
    return _TOKENS.get(name, name)


def _q(text: str) -> str:
    return f"«{text}»"


def _close(block: str) -> str:
    return f"cierre el bloque {_q('{% ' + block + ' %}')} con {_q('{% end' + block + ' %}')}"


# (pattern over Jinja's message, Spanish explanation); the first that matches wins.
_SYNTAX: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"unexpected end of template, expected '(.+?)'", re.I),
        lambda m: f"la plantilla termina sin cerrar: falta {_q(_token(m[1]))}",
    ),
    (
        re.compile(r"Unexpected end of template\..*needs to be closed is '(\w+)'", re.S),
        lambda m: f"la plantilla termina con un bloque abierto: {_close(m[1])}",
    ),
    (
        re.compile(r"Encountered unknown tag '(\w+)'\..*needs to be closed is '(\w+)'", re.S),
        lambda m: f"{_q('{% ' + m[1] + ' %}')} no corresponde aquí: antes {_close(m[2])}",
    ),
    (
        re.compile(r"Encountered unknown tag '(\w+)'"),
        lambda m: f"etiqueta desconocida o fuera de lugar: {_q('{% ' + m[1] + ' %}')}",
    ),
    (
        re.compile(r"unexpected char (['\"])(.+?)\1 at \d+"),
        lambda m: (
            "comillas sin cerrar"
            if m[2] in "'\""
            else f"carácter no permitido dentro de la expresión: {_q(m[2])}"
        ),
    ),
    (
        re.compile(r"unexpected '(.+?)', expected '(.+?)'"),
        lambda m: f"se esperaba {_q(_token(m[2]))} y se encontró {_q(_token(m[1]))}",
    ),
    (re.compile(r"unexpected '(.+?)'"), lambda m: f"símbolo inesperado {_q(_token(m[1]))}"),
    (
        re.compile(r"expected token '(.+?)', got '(.+?)'"),
        lambda m: f"se esperaba {_q(_token(m[1]))} y se encontró {_q(_token(m[2]))}",
    ),
    (
        re.compile(r"Expected an expression, got '(.+?)'"),
        lambda m: f"falta una variable o expresión antes de {_q(_token(m[1]))}",
    ),
    (
        re.compile(r"Missing end of comment tag"),
        lambda m: f"falta cerrar el comentario con {_q('#}')}",
    ),
    (
        re.compile(r"Missing end of raw directive"),
        lambda m: f"falta {_q('{% endraw %}')}",
    ),
    (re.compile(r"No filter named '(.+?)'"), lambda m: f"el filtro {_q(m[1])} no existe"),
    (re.compile(r"No test named '(.+?)'"), lambda m: f"la prueba {_q(m[1])} no existe"),
    (
        re.compile(r"expected name or number"),
        lambda m: "después del punto se esperaba un nombre o un número",
    ),
]

_UNDEFINED: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^'(.+?)' is undefined"), lambda m: f"la variable {_q(m[1])} no existe"),
    (
        re.compile(r"has no attribute '(.+?)'"),
        lambda m: f"el valor no tiene el atributo {_q(m[1])}",
    ),
    (
        re.compile(r"has no element (.+)$"),
        lambda m: f"el valor no tiene el elemento {_q(m[1].strip(chr(39)))}",
    ),
]

_FALLBACK_SYNTAX = (
    f"la sintaxis no es válida: cada {_q('{{')} necesita su {_q('}}')} "
    f"y cada {_q('{%')} su {_q('%}')}"
)


def _explain(
    message: str, rules: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]
) -> str | None:
    for pattern, explain in rules:
        found = pattern.search(message)
        if found:
            return explain(found)
    return None


def _where(lineno: int | None, field: str | None) -> str:
    line = f"la línea {lineno}" if lineno else "la plantilla"
    label = FIELD_LABELS.get(field or "")
    return f"{line} del {label}" if label and lineno else (f"el {label}" if label else line)


def _loc(field: str | None) -> list[str | int]:
    return ["body", field] if field else []


def syntax_error(exc: TemplateSyntaxError, *, field: str | None) -> InvalidInput:
    """``template_syntax_error``: what is wrong, in Spanish, with the line."""
    detail = _explain(exc.message or "", _SYNTAX) or _FALLBACK_SYNTAX
    return InvalidInput(
        f"La plantilla tiene un error de sintaxis en {_where(exc.lineno, field)}: {detail}.",
        code="template_syntax_error",
        loc=_loc(field),
    )


def template_line(tb: TracebackType | None) -> int | None:
    """The template line being rendered when it failed (Jinja rewrites its traceback frames
    to the template source, named ``<template>``)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_error(exc: Exception, *, field: str | None) -> InvalidInput:
    """``template_undefined_variable`` for undefined names, ``template_render_failed`` for
    anything else (an unsafe attribute, adding text to a number, ...)."""
    where = _where(template_line(exc.__traceback__), field)
    if isinstance(exc, UndefinedError):
        detail = _explain(str(exc), _UNDEFINED) or "usa un valor que no existe"
        return InvalidInput(
            f"La plantilla usa una variable no definida en {where}: {detail}.",
            code="template_undefined_variable",
            loc=_loc(field),
        )
    if isinstance(exc, TemplateSyntaxError):
        return syntax_error(exc, field=field)
    detail = (
        "la plantilla intenta acceder a algo no permitido"
        if isinstance(exc, SecurityError)
        else "una operación no es válida con esos valores"
    )
    return InvalidInput(
        f"La plantilla tiene un error en {where}: {detail}.",
        code="template_render_failed",
        loc=_loc(field),
    )


__all__ = ["FIELD_LABELS", "render_error", "syntax_error", "template_line"]
