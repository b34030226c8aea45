"""The reception web UI served by the edge: server-rendered page shells, local static assets
(CSS, ES modules, inline SVG icons) and one status endpoint for the header.

Pages hold no data: they are Jinja2 shells whose JS modules call the JSON API with the
session cookie (and ``X-CSRF-Token``). Nothing is fetched from outside the edge.
"""

from __future__ import annotations

PREFIX = "/recepcion"


def urls(base_url: str) -> dict[str, str]:
    """The reception UI's entry points under an edge's ``base_url`` (for ``labred demo``).

    >>> urls("http://127.0.0.1:8101")["recepcion"]
    'http://127.0.0.1:8101/recepcion'
    """
    base = base_url.rstrip("/")
    return {
        "recepcion": f"{base}{PREFIX}",
        "ingresar": f"{base}{PREFIX}/ingresar",
        "nueva_orden": f"{base}{PREFIX}/ordenes/nueva",
        "ordenes": f"{base}{PREFIX}/ordenes",
        "caja": f"{base}{PREFIX}/caja",
    }


def banner(sede_code: str, base_url: str, logins: list[tuple[str, str, str]]) -> list[str]:
    """Lines ``labred demo`` prints for one sede: the reception URL and who can sign in.

    ``logins`` holds ``(username, password, role label)`` triples.

    >>> banner("S01", "http://127.0.0.1:8101", [("mrojas", "clave", "Recepcionista")])
    ['Recepción S01: http://127.0.0.1:8101/recepcion', '    mrojas / clave  (Recepcionista)']
    """
    lines = [f"Recepción {sede_code}: {urls(base_url)['recepcion']}"]
    lines += [f"    {user} / {password}  ({role})" for user, password, role in logins]
    return lines


__all__ = ["PREFIX", "banner", "urls"]
