"""Errors next to their field, the edge going away and coming back, tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
import pytest
from sqlmodel import select
from textual.widgets import Static

from edge.auth.models import RefreshToken
from edge.auth.service import hash_refresh_token
from edge.auth.tokens import decode_access_token, issue_access_token
from edge.db import read_session
from tests.tui.conftest import LiveEdge, on_screen, sign_in, type_in, until
from tui.app import ReceptionApp
from tui.screens.home import HomeScreen
from tui.screens.login import LoginScreen
from tui.screens.new_order import NewOrderScreen
from tui.screens.patients import PatientsScreen
from tui.widgets.field import FieldWithError
from tui.widgets.offline_banner import OFFLINE_TEXT

pytestmark = pytest.mark.anyio


def field(app: ReceptionApp, name: str) -> FieldWithError:
    found = next((f for f in app.screen.query(FieldWithError) if f.name == name), None)
    assert found is not None, name
    return found


async def fill_patient(pilot: object, *, phone: str, number: str = "45871236") -> None:
    await type_in(pilot, "f-doc_number-input", number)  # type: ignore[arg-type]
    await type_in(pilot, "f-first_names-input", "Rosa")  # type: ignore[arg-type]
    await type_in(pilot, "f-last_names-input", "Huaman")  # type: ignore[arg-type]
    await type_in(pilot, "f-phone-input", phone)  # type: ignore[arg-type]


async def test_validation_errors_appear_next_to_their_field_in_spanish(
    live_edge: LiveEdge, make_app: Callable[[str], ReceptionApp]
) -> None:
    app = make_app(live_edge.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await on_screen(pilot, PatientsScreen)

        # checked here, before any request: a DNI has 8 digits
        await fill_patient(pilot, phone="123", number="1234567")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: field(app, "doc_number").error != "")
        assert field(app, "doc_number").error == "El DNI debe tener exactamente 8 dígitos."
        assert field(app, "phone").error == ""

        # checked by the node: the phone comes back as a 422 placed under the phone field
        number = field(app, "doc_number")
        number.value = "45871236"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: field(app, "phone").error != "")
        assert field(app, "phone").error.startswith("Teléfono inválido: use un celular de 9")
        assert field(app, "phone").has_class("-invalid")
        assert field(app, "doc_number").error == ""
        assert isinstance(app.screen, PatientsScreen)  # nothing was registered
        assert app.api.search_patients("45871236") == []

        # typing again clears the message; a good phone registers the patient
        phone = field(app, "phone")
        phone.value = ""
        await type_in(pilot, "f-phone-input", "987654321")
        assert field(app, "phone").error == ""
        await pilot.press("ctrl+s")
        await on_screen(pilot, NewOrderScreen)


async def test_survives_the_edge_restarting_without_losing_typed_input(
    live_edge: LiveEdge, make_app: Callable[[str], ReceptionApp]
) -> None:
    app = make_app(live_edge.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await on_screen(pilot, PatientsScreen)
        await fill_patient(pilot, phone="987654321")
        banner = app.screen.query_one("#offline-banner", Static)
        assert not banner.has_class("-offline") and not banner.display

        live_edge.stop()
        await pilot.press("ctrl+s")  # sent while the node is down
        await until(pilot, lambda: banner.has_class("-offline"))
        assert banner.display and str(banner.content) == OFFLINE_TEXT
        assert "Sin conexión con el nodo" in str(banner.content)
        assert "Nodo SIN CONEXIÓN" in str(app.screen.query_one("#status-bar", Static).content)
        await pilot.pause(1.0)  # a few retries later, still down, still typed
        assert isinstance(app.screen, PatientsScreen)
        assert field(app, "doc_number").value == "45871236"
        assert field(app, "first_names").value == "Rosa"
        assert field(app, "phone").value == "987654321"

        live_edge.start()
        await until(  # the retry went in
            pilot,
            lambda: isinstance(app.screen, NewOrderScreen) and app.screen.query("#cart"),
        )
        await pilot.pause()
        assert app.online
        order_screen = app.screen
        assert isinstance(order_screen, NewOrderScreen)
        assert order_screen.draft.patient["full_name"] == "HUAMAN, ROSA"
        assert not order_screen.query_one("#offline-banner", Static).display
        assert len(app.api.search_patients("45871236")) == 1  # registered once


async def test_token_refresh_is_silent(
    live_edge: LiveEdge, make_app: Callable[[str], ReceptionApp]
) -> None:
    app = make_app(live_edge.url)
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        assert app.api.tokens is not None
        old = app.api.tokens
        secret = live_edge.runtime.settings.jwt_secret
        principal = decode_access_token(old.access, secret=secret)
        past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        app.api.tokens.access = issue_access_token(principal, secret=secret, now=past)
        expired = app.api.tokens.access
        with pytest.raises(Exception, match="xpir|venc"):
            decode_access_token(expired, secret=secret)

        app.notify = lambda msg, **kw: notes.append(str(msg))  # type: ignore[method-assign]
        await pilot.press("f2")
        await on_screen(pilot, PatientsScreen)
        await type_in(pilot, "f-q-input", "nadie")
        await until(pilot, lambda: app.api.tokens is not None and app.api.tokens.access != expired)
        await until(pilot, lambda: field(app, "last_names").value == "NADIE")  # search answered
        assert app.api.tokens is not None
        assert app.api.tokens.refresh != old.refresh  # rotated
        assert isinstance(app.screen, PatientsScreen) and notes == []
        assert field(app, "q").error == ""
        # the rotated-out refresh token is spent: revoked as rotated, pointing at its successor
        # (presented again it only answers within the two-tabs grace while that is unused)
        with read_session(live_edge.runtime.engine) as session:
            row = session.exec(
                select(RefreshToken).where(
                    RefreshToken.token_hash == hash_refresh_token(old.refresh)
                )
            ).one()
            assert row.revoked_at is not None and row.revoked_reason == "rotated"
            assert row.replaced_by is not None


async def test_sign_out_clears_tokens(
    live_edge: LiveEdge, make_app: Callable[[str], ReceptionApp]
) -> None:
    app = make_app(live_edge.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        assert app.api.tokens is not None
        tokens = app.api.tokens
        await pilot.press("f10")
        await on_screen(pilot, LoginScreen)
        assert app.api.tokens is None and app.api.profile is None and app.profile is None
        assert len(app.api.http.cookies) == 0
        # revoked on the node too, and the old access token no longer reaches anything here
        refused = httpx.post(
            f"{live_edge.url}/api/auth/refresh", json={"refresh_token": tokens.refresh}
        )
        assert refused.status_code == 401
        assert refused.json()["detail"][0]["type"] == "refresh_token_revoked"
        with pytest.raises(Exception, match="iniciar sesión"):
            app.api.search_patients("x")
        # and signing in again works
        await sign_in(pilot)
        assert isinstance(app.screen, HomeScreen)
