"""The edge client alone, over MockTransport: error shape, retries, silent refresh, cookies."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import httpx
import pytest

from tui.api import ApiError, EdgeApi, EdgeUnreachable, Tokens, parse_error
from tui.cli import tui_command

Handler = Callable[[httpx.Request], httpx.Response]


def api_for(handler: Handler, **kw: object) -> EdgeApi:
    client = httpx.Client(base_url="http://edge", transport=httpx.MockTransport(handler))
    return EdgeApi(client, retry_delay=0, **kw)  # type: ignore[arg-type]


def login_body(access: str = "a1", refresh: str = "r1") -> dict[str, object]:
    user = {"id": "u", "username": "ana", "full_name": "Ana", "role": "recepcionista",
            "role_label": "Recepcionista", "sede_ids": [], "permissions": []}  # fmt: skip
    return {"access_token": access, "refresh_token": refresh, "user": user}


def test_errors_keep_every_item_with_code_message_and_field() -> None:
    body = {"detail": [
        {"type": "dni_invalid", "msg": "El DNI debe tener exactamente 8 dígitos.",
         "loc": ["body", "doc_number"]},
        {"type": "phone_invalid", "msg": "Teléfono inválido.", "loc": ["body", "phone"]},
    ]}  # fmt: skip
    error = parse_error(httpx.Response(422, json=body))
    assert (error.status, error.code, error.field) == (422, "dni_invalid", "doc_number")
    assert [e.code for e in error.all()] == ["dni_invalid", "phone_invalid"]
    nested = ApiError(422, "x", "y", ["body", "payments", 0, "amount"])
    assert nested.field == "amount"


def test_a_body_that_is_not_the_error_shape_still_gives_a_spanish_message() -> None:
    error = parse_error(httpx.Response(502, text="<html>bad gateway</html>"))
    assert (error.status, error.code) == (502, "http_502")
    assert "El nodo respondió con un error (HTTP 502)" in error.msg


def test_reads_are_retried_on_connection_errors_then_reported_unreachable() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"status": "ok"})

    api = api_for(handler, tokens=Tokens("a", "r"))
    assert api.request("GET", "/x").json() == {"status": "ok"}
    assert len(calls) == 3

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(EdgeUnreachable) as exc:
        api_for(down, tokens=Tokens("a", "r")).request("GET", "/x")
    assert exc.value.retryable and exc.value.status == 0
    assert exc.value.msg.startswith("Sin conexión con el nodo: revise la red")


def test_a_write_that_may_have_arrived_is_not_repeated() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise httpx.RemoteProtocolError("dropped", request=request)

    with pytest.raises(EdgeUnreachable) as exc:
        api_for(handler, tokens=Tokens("a", "r")).create_order({"patient_id": "p"})
    assert calls == ["POST"]  # once: repeating could sell twice
    assert not exc.value.retryable
    assert "revise si quedó registrada" in exc.value.msg


def test_a_refused_connection_on_a_write_is_retried() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"id": "p1"})

    assert api_for(handler, tokens=Tokens("a", "r")).create_patient({})["id"] == "p1"
    assert calls == ["POST", "POST"]


def test_an_expired_access_token_is_refreshed_once_and_the_request_repeated() -> None:
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        if request.url.path == "/api/auth/refresh":
            assert json.loads(request.content) == {"refresh_token": "r1"}
            return httpx.Response(200, json=login_body("a2", "r2"))
        if request.headers["authorization"] == "Bearer a1":
            return httpx.Response(401, json={"detail": [
                {"type": "token_expired", "msg": "La sesión expiró.", "loc": []}]})  # fmt: skip
        return httpx.Response(200, json={"items": [], "has_more": False})

    api = api_for(handler, tokens=Tokens("a1", "r1"))
    assert api.search_patients("ana") == []
    assert api.tokens == Tokens("a2", "r2")
    assert seen == [
        ("/api/patients/search", "Bearer a1"),
        ("/api/auth/refresh", None),
        ("/api/patients/search", "Bearer a2"),
    ]


def test_a_refused_refresh_ends_the_session() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/refresh":
            return httpx.Response(401, json={"detail": [
                {"type": "refresh_token_revoked", "msg": "Cerrada.", "loc": []}]})  # fmt: skip
        return httpx.Response(401, json={"detail": [
            {"type": "token_expired", "msg": "Expiró.", "loc": []}]})  # fmt: skip

    api = api_for(handler, tokens=Tokens("a1", "r1"))
    with pytest.raises(ApiError) as exc:
        api.search_patients("x")
    assert exc.value.code == "session_expired" and api.tokens is None
    assert exc.value.msg == (
        "Su sesión terminó: se cerró desde otro equipo o la cerró un administrador; vuelva a "
        "ingresar para continuar. Lo escrito se conserva."
    )


def test_two_threads_with_an_expired_token_spend_the_refresh_token_once() -> None:
    refreshes: list[str] = []
    gate = threading.Barrier(2)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/refresh":
            refreshes.append(json.loads(request.content)["refresh_token"])
            return httpx.Response(200, json=login_body("a2", "r2"))
        if request.headers["authorization"] == "Bearer a1":
            gate.wait(timeout=5)  # both requests fail with the old token
            return httpx.Response(401, json={"detail": [
                {"type": "token_expired", "msg": "Expiró.", "loc": []}]})  # fmt: skip
        return httpx.Response(200, json=[])

    api = api_for(handler, tokens=Tokens("a1", "r1"))
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(api.search_services("x"))) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == [[], []]
    assert refreshes == ["r1"]


def test_cookies_set_by_the_node_are_never_kept() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert "cookie" not in request.headers
        return httpx.Response(
            200, json=login_body(), headers={"set-cookie": "labred_access=abc; Path=/"}
        )

    api = api_for(handler)
    api.login("ana", "clave")
    assert len(api.http.cookies) == 0
    api.login("ana", "clave")  # the handler refuses any cookie sent back


def test_logout_forgets_tokens_even_when_the_node_is_away() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    api = api_for(handler, tokens=Tokens("a", "r"))
    api.logout()
    assert api.tokens is None and api.profile is None
    with pytest.raises(ApiError, match="Debe iniciar sesión"):
        api.search_patients("x")


def test_the_print_endpoint_is_used_only_when_the_node_has_one() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        paths: dict[str, object] = {"/api/billing/{invoice_id}/print": {}}
        return httpx.Response(200, json={"paths": paths})

    assert api_for(handler, tokens=Tokens("a", "r")).has_print_endpoint()
    empty = api_for(lambda r: httpx.Response(200, json={"paths": {}}), tokens=Tokens("a", "r"))
    assert not empty.has_print_endpoint()


def test_tui_command_quotes_the_url() -> None:
    assert tui_command("http://127.0.0.1:8101") == "labred tui --edge http://127.0.0.1:8101"
    assert tui_command("http://x/a b") == "labred tui --edge 'http://x/a b'"
