"""The reception pages and assets: served, escaped, local-only, CSP-compatible, fast."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from edge.config.models import Sede
from edge.runtime import EdgeRuntime
from edge.web import router as web_router
from edge.web import urls

PAGES = [
    "/recepcion",
    "/recepcion/ingresar",
    "/recepcion/pacientes/nuevo",
    "/recepcion/pacientes/0190d2b4-1111-7000-8000-000000000001",
    "/recepcion/ordenes",
    "/recepcion/ordenes/nueva",
    "/recepcion/ordenes/0190d2b4-2222-7000-8000-000000000002",
    "/recepcion/caja",
    "/recepcion/dia",
    "/recepcion/auditoria",
]
STATIC = web_router.STATIC_DIR
TEMPLATES = STATIC.parent / "templates"
V = web_router.ASSET_VERSION


class _Scan(HTMLParser):
    """Collects script/link/img URLs, inline scripts and inline event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.handlers += [k for k in a if k.startswith("on")]
        for key in ("src", "href"):
            if a.get(key) and tag in {"script", "link", "img"}:
                self.urls.append(str(a[key]))
        self._in_script = tag == "script" and not a.get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_a_local_csp_clean_shell(edge_client: TestClient, path: str) -> None:
    r = edge_client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-eval'" not in csp
    scan = _Scan()
    scan.feed(r.text)
    assert scan.inline_scripts == [] and scan.handlers == []  # script-src 'self' allows neither
    assert f"/recepcion/static/{V}/app.js" in scan.urls
    for url in scan.urls:  # every asset from the edge itself
        assert url.startswith(("/recepcion/static/", "data:")), url
        if url.startswith("/"):
            assert edge_client.get(url).status_code == 200, url
    assert 'lang="es-PE"' in r.text


def test_login_page_has_no_header_data_and_a_disabled_submit_until_js(
    edge_client: TestClient,
) -> None:
    html = edge_client.get("/recepcion/ingresar").text
    assert 'id="node-status"' not in html
    assert re.search(r'<form method="post" id="login-form"', html)  # never a GET with the password
    assert re.search(r'<button type="submit" class="primary" disabled>', html)


def test_ids_and_sede_name_are_escaped(edge_client: TestClient, edge_runtime: EdgeRuntime) -> None:
    with Session(edge_runtime.engine) as session:
        sede = session.get(Sede, edge_runtime.sede_id)
        assert sede is not None
        sede.name = '<script>alert("sede")</script>'
        session.add(sede)
        session.commit()
    html = edge_client.get("/recepcion/caja").text
    assert "&lt;script&gt;alert(&#34;sede&#34;)&lt;/script&gt;" in html
    assert '<script>alert("sede")' not in html
    # path ids are constrained: markup never reaches a data-* attribute
    r = edge_client.get('/recepcion/ordenes/"><script>x</script>')
    assert r.status_code in (404, 422)


def test_root_redirects_to_reception(edge_client: TestClient) -> None:
    r = edge_client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/recepcion"


@pytest.mark.parametrize(
    ("asset", "media"),
    [("app.js", "text/javascript"), ("app.css", "text/css"), ("lib/api.js", "text/javascript")],
)
def test_assets_have_their_media_type_and_are_cached_per_version(
    edge_client: TestClient, asset: str, media: str
) -> None:
    current = edge_client.get(f"/recepcion/static/{V}/{asset}")
    assert current.status_code == 200
    assert current.headers["content-type"].startswith(media)
    assert "immutable" in current.headers["cache-control"]
    old = edge_client.get(f"/recepcion/static/0000000000/{asset}")
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "asset",
    [
        "../router.py",
        "..%2Frouter.py",
        "%2e%2e/%2e%2e/settings.py",
        "nope.js",
        "../templates/base.html",
    ],
)
def test_assets_never_leave_the_static_directory(edge_client: TestClient, asset: str) -> None:
    r = edge_client.get(f"/recepcion/static/{V}/{asset}")
    assert r.status_code == 404
    assert r.json()["detail"][0]["type"] in {"asset_not_found", "not_found"}


def test_no_script_writes_markup_or_loads_anything_remote() -> None:
    js = {p: p.read_text(encoding="utf-8") for p in STATIC.rglob("*.js")}
    assert len(js) >= 10
    for path, text in js.items():
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{path.name} uses {sink}"
        assert not re.search(r"https?://", text), f"{path.name} references a remote URL"
    for path in [*STATIC.rglob("*.css"), *TEMPLATES.glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!www\.w3\.org)", text), f"{path.name} is not local"
        assert "@import" not in text and "url(http" not in text


def test_every_imported_module_exists() -> None:
    for path in STATIC.rglob("*.js"):
        for spec in re.findall(r'from "(\.[^"]+)"', path.read_text(encoding="utf-8")):
            assert (path.parent / spec).resolve().is_file(), f"{path.name}: {spec}"
    for page in re.findall(r'page="(\w+)"', (STATIC.parent / "router.py").read_text()):
        assert (STATIC / "pages" / f"{page}.js").is_file(), page


def test_urls_for_the_demo() -> None:
    assert urls("http://127.0.0.1:8101/") == {
        "recepcion": "http://127.0.0.1:8101/recepcion",
        "ingresar": "http://127.0.0.1:8101/recepcion/ingresar",
        "nueva_orden": "http://127.0.0.1:8101/recepcion/ordenes/nueva",
        "ordenes": "http://127.0.0.1:8101/recepcion/ordenes",
        "caja": "http://127.0.0.1:8101/recepcion/caja",
    }


def test_templates_autoescape() -> None:
    assert web_router.templates.env.autoescape is True
    assert Path(web_router.__file__).parent / "templates" == TEMPLATES


def test_demo_banner_lists_url_and_logins() -> None:
    from edge.web import banner

    assert banner(
        "S02",
        "http://127.0.0.1:8102",
        [("mrojas", "x1", "Recepcionista"), ("sup", "y2", "Supervisor")],
    ) == [
        "Recepción S02: http://127.0.0.1:8102/recepcion",
        "    mrojas / x1  (Recepcionista)",
        "    sup / y2  (Supervisor)",
    ]
