"""The node ends the session mid-sale: sign-in comes up ON TOP of the sale, says why, and the
sale goes on where it was — sent once, never twice, and never under another user's name
without asking. Against the canned edge (sessions the test can end) and a real
``labred edge serve`` process."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from edge.auth.tokens import decode_access_token, issue_access_token
from tests.procs import free_port, terminate
from tests.tui import fake_edge
from tests.tui.conftest import (
    CASHIER_PASSWORD,
    NODE_ADMIN_PASSWORD,
    on_screen,
    sign_in,
    type_in,
    until,
)
from tests.tui.scenarios import CLOCK, at_new_order, settle
from tests.tui.test_qa_reception_day import EdgeProcess, _open_cash, _sell_one
from tui.api import ApiError, EdgeApi, SessionEnded
from tui.app import ReceptionApp
from tui.draft import load_draft
from tui.screens.home import HomeScreen
from tui.screens.new_order import NewOrderScreen
from tui.screens.payment import PaymentScreen
from tui.screens.session import SessionDialog
from tui.settings import TuiSettings
from tui.widgets.field import FieldWithError

pytestmark = pytest.mark.anyio

OTHER = {**fake_edge.USER, "id": "u2", "username": "jperez", "full_name": "Juan Pérez"}


def _error(status: int, code: str, msg: str) -> httpx.Response:
    return httpx.Response(status, json={"detail": [{"type": code, "msg": msg, "loc": []}]})


class SessionEdge:
    """The canned edge with real sessions: tokens per sign-in, refresh rotation, sessions the
    test revokes, users it deactivates, and sales counted by their Idempotency-Key."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {"mrojas": fake_edge.USER, "jperez": OTHER}
        self.inactive: set[str] = set()
        self.access: dict[str, str] = {}
        self.refresh: dict[str, str] = {}
        self.expired: set[str] = set()
        self.revoked: set[str] = set()
        self.sales: dict[str, str] = {}
        """Idempotency-Key → user name of each order registered."""
        self.order_posts: list[str] = []
        """User name of every POST /api/orders that got past authentication."""
        self._n = 0

    def end_session(self, username: str) -> None:
        """What a logout from another terminal does after the access token ran out."""
        self.revoked |= {t for t, u in self.refresh.items() if u == username}
        self.refresh = {t: u for t, u in self.refresh.items() if u != username}
        self.expired |= {t for t, u in self.access.items() if u == username}

    def _issue(self, username: str) -> httpx.Response:
        self._n += 1
        access, refresh = f"a{self._n}", f"r{self._n}"
        self.access[access], self.refresh[refresh] = username, username
        body = {"access_token": access, "refresh_token": refresh, "user": self.users[username]}
        return httpx.Response(200, json=body)

    def handler(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == "/api/auth/login":
            body = json.loads(request.content)
            if body["username"] not in self.users or body["password"] != "clave":
                return _error(401, "invalid_credentials", "Usuario o contraseña incorrectos.")
            if body["username"] in self.inactive:
                return _error(401, "user_inactive", "El usuario está desactivado.")
            return self._issue(body["username"])
        if path == "/api/auth/refresh":
            token = json.loads(request.content)["refresh_token"]
            who = self.refresh.pop(token, None)
            if token in self.revoked:
                return _error(401, "refresh_token_revoked", "La sesión fue cerrada.")
            if who is None:
                return _error(401, "token_invalid", "La sesión no es válida.")
            if who in self.inactive:
                return _error(401, "user_inactive", "El usuario está desactivado.")
            return self._issue(who)
        if path in ("/health", "/openapi.json"):
            return fake_edge.handler(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        who = self.access.get(token)
        if who is None:
            return _error(401, "token_invalid", "Credenciales inválidas.")
        if token in self.expired:
            return _error(401, "token_expired", "La sesión expiró.")
        if who in self.inactive:
            return _error(401, "user_inactive", "El usuario está desactivado.")
        if (method, path) == ("POST", "/api/orders"):
            self.order_posts.append(who)
            self.sales.setdefault(request.headers["idempotency-key"], who)
        if (method, path) == ("POST", "/api/orders/o1/payments"):
            return httpx.Response(200, json=fake_edge.ORDER)
        return fake_edge.handler(request)


@pytest.fixture
def edge() -> SessionEdge:
    return SessionEdge()


@pytest.fixture
def app(edge: SessionEdge, tmp_path: Path) -> Iterator[ReceptionApp]:
    api = EdgeApi(
        httpx.Client(base_url="http://s01.local:8101", transport=httpx.MockTransport(edge.handler))
    )
    yield _fake_app(api, tmp_path)
    api.close()


def _fake_app(api: EdgeApi, tmp_path: Path) -> ReceptionApp:
    settings = TuiSettings(
        edge_url="http://s01.local:8101",
        username="mrojas",
        download_dir=tmp_path / "tickets",
        draft_file=tmp_path / "venta.json",
        search_delay=0,
    )
    return ReceptionApp(api, settings=settings, clock=CLOCK, poll=False, blink=False)


def text(app: ReceptionApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def field(app: ReceptionApp, name: str) -> FieldWithError:
    found = next((f for f in app.screen.query(FieldWithError) if f.name == name), None)
    assert found is not None, name
    return found


async def at_payment(pilot: Pilot[Any]) -> PaymentScreen:
    """mrojas signed in, NÚÑEZ QUISPE with a panel and a test in the order, on payment."""
    await at_new_order(pilot)
    await pilot.press("f9")
    await on_screen(pilot, PaymentScreen)
    pay = pilot.app.screen
    assert isinstance(pay, PaymentScreen)
    assert "TOTAL A COBRAR S/ 90.00" in text(pilot.app, "#pay-total")  # type: ignore[arg-type]
    return pay


async def sign_in_on_dialog(pilot: Pilot[Any], username: str, password: str = "clave") -> None:
    await until(pilot, lambda: pilot.app.screen.query("#f-username-input"))  # mounted yet?
    user = pilot.app.screen.query_one("#f-username-input")
    user.value = ""  # type: ignore[attr-defined]
    await type_in(pilot, "f-username-input", username)
    await type_in(pilot, "f-password-input", password)
    await pilot.press("enter")
    await pilot.pause()  # not settle(): the sale's worker waits for this sign-in


def dialog_says(app: ReceptionApp, error: str) -> bool:
    return isinstance(app.screen, SessionDialog) and field(app, "password").error == error


async def test_session_revoked_mid_sale_same_user_resumes_and_the_sale_is_sent_once(
    app: ReceptionApp, edge: SessionEdge, tmp_path: Path
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        pay = await at_payment(pilot)
        field(app, "payments.0.extra").value = "100"
        edge.end_session("mrojas")

        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, SessionDialog))
        why = text(app, "#session-why")
        assert why == (
            "Su sesión terminó: se cerró desde otro equipo o la cerró un administrador; "
            "vuelva a ingresar para continuar. Lo escrito se conserva."
        )
        assert "NÚÑEZ QUISPE, MARÍA JOSÉ, 2 examen(es), S/ 90.00" in text(app, "#session-draft")
        # the sale is still underneath, untouched, and kept on disk meanwhile
        assert app.screen_stack[-2] is pay and pay.order is None
        assert field(app, "username").value == "mrojas"
        saved = load_draft(tmp_path / "venta.json")
        assert saved is not None and [s["code"] for s in saved.services] == ["PAN-LIP", "HEM-001"]
        assert edge.sales == {}

        # a wrong password is said on the dialog, which stays
        await sign_in_on_dialog(pilot, "mrojas", "no-es")
        await until(pilot, lambda: dialog_says(app, "Usuario o contraseña incorrectos."))

        await sign_in_on_dialog(pilot, "mrojas")
        await until(pilot, lambda: pay.order is not None)
        assert app.screen is pay
        assert "Orden S01-20261129-0007 registrada" in text(app, "#receipt")
        assert field(app, "payments.0.extra").value == "100"
        assert list(edge.sales.values()) == ["mrojas"] and edge.order_posts == ["mrojas"]
        assert not (tmp_path / "venta.json").exists()

        # F9 again does not sell it twice
        await pilot.press("f9")
        await settle(pilot)
        assert len(edge.sales) == 1 and edge.order_posts == ["mrojas"]


async def test_another_user_on_the_dialog_is_asked_and_the_sale_waits_for_their_f9(
    app: ReceptionApp, edge: SessionEdge
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        pay = await at_payment(pilot)
        edge.end_session("mrojas")
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, SessionDialog))

        await sign_in_on_dialog(pilot, "jperez")
        await until(pilot, lambda: text(app, "#session-question") != "")
        question = text(app, "#session-question")
        assert question == "La venta en curso la empezó María Rojas. ¿Continuar como Juan Pérez?"
        assert app.screen.query_one("#session-ask").display
        assert edge.sales == {}  # nothing sent under Juan's name while he is asked

        await pilot.press("f9")  # continue with the sale
        await until(pilot, lambda: app.screen is pay)
        await until(
            pilot, lambda: "Sesión restablecida como Juan Pérez" in text(app, ".form-error")
        )
        assert edge.sales == {} and pay.order is None  # not sent by itself under his name
        assert app.profile is not None and app.profile["username"] == "jperez"
        assert pay.draft.cashier == "jperez"

        await pilot.press("f9")  # Juan looked at it and charges it himself
        await until(pilot, lambda: pay.order is not None)
        assert list(edge.sales.values()) == ["jperez"] and edge.order_posts == ["jperez"]


async def test_another_user_may_discard_the_sale_instead(
    app: ReceptionApp, edge: SessionEdge, tmp_path: Path
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await at_payment(pilot)
        edge.end_session("mrojas")
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, SessionDialog))
        await sign_in_on_dialog(pilot, "jperez")
        await until(pilot, lambda: text(app, "#session-question") != "")
        await pilot.press("f8")
        await on_screen(pilot, HomeScreen)
        await settle(pilot)
        assert edge.sales == {} and edge.order_posts == []
        assert not (tmp_path / "venta.json").exists()
        assert app.profile is not None and app.profile["username"] == "jperez"


async def test_a_deactivated_user_is_told_and_the_sale_waits_for_the_next_cashier(
    app: ReceptionApp, edge: SessionEdge, tmp_path: Path
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await at_new_order(pilot)
        assert isinstance(app.screen, NewOrderScreen)
        edge.inactive.add("mrojas")

        field(app, "service_q").value = "gluc"  # the search meets the deactivation
        await until(pilot, lambda: isinstance(app.screen, SessionDialog))
        assert text(app, "#session-why") == (
            "Su sesión terminó: el usuario fue desactivado (consulte con el administrador); "
            "otro usuario puede ingresar para continuar. Lo escrito se conserva."
        )
        assert field(app, "username").value == ""
        saved = load_draft(tmp_path / "venta.json")
        assert saved is not None and saved.cashier == "mrojas" and len(saved.services) == 2

        await sign_in_on_dialog(pilot, "mrojas")
        await until(pilot, lambda: dialog_says(app, "El usuario está desactivado."))
        assert (tmp_path / "venta.json").exists()
    # the terminal is closed here: the sale stays on disk for the next cashier

    api = EdgeApi(
        httpx.Client(base_url="http://s01.local:8101", transport=httpx.MockTransport(edge.handler))
    )
    again = _fake_app(api, tmp_path)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        again.screen.query_one("#f-username-input").value = ""  # type: ignore[attr-defined]
        await type_in(pilot, "f-username-input", "jperez")
        await type_in(pilot, "f-password-input", "clave")
        await pilot.press("enter")
        await on_screen(pilot, NewOrderScreen)
        restored = again.screen
        assert isinstance(restored, NewOrderScreen)
        assert [s["code"] for s in restored.draft.services] == ["PAN-LIP", "HEM-001"]
        assert text(again, ".form-error") == (
            "Venta guardada de María Rojas al terminar una sesión: F9 para cobrarla a su "
            "nombre, Esc para descartarla."
        )
        assert not (tmp_path / "venta.json").exists()
        await pilot.press("f9")
        await on_screen(pilot, PaymentScreen)
        pay = again.screen
        assert isinstance(pay, PaymentScreen)
        await pilot.press("f9")
        await until(pilot, lambda: pay.order is not None)
        assert list(edge.sales.values()) == ["jperez"]
    api.close()


def test_what_may_be_sent_again_after_the_node_ends_the_session(edge: SessionEdge) -> None:
    api = EdgeApi(
        httpx.Client(base_url="http://s01.local:8101", transport=httpx.MockTransport(edge.handler))
    )
    api.login("mrojas", "clave")
    edge.inactive.add("mrojas")
    for call, read_only, repeatable in (
        (lambda: api.search_patients("ana"), True, True),
        (lambda: api.create_order({"patient_id": "p1"}, key="k1"), False, True),
        (lambda: api.cancel_order("o1", "error de digitación"), False, False),
    ):
        api.begin_action()
        with pytest.raises(SessionEnded) as exc:
            call()
        assert (exc.value.reason, exc.value.read_only, exc.value.repeatable) == (
            "user_inactive",
            read_only,
            repeatable,
        )
        assert api.tokens is None and exc.value.session_no == 1
    assert edge.sales == {}

    # a read that follows a change of the same action is not sent again by itself
    edge.inactive.clear()
    api.login("mrojas", "clave")
    api.begin_action()
    with pytest.raises(ApiError):  # refused by the node (404 here): nothing changed
        api.set_status("o1", "muestra_tomada")
    edge.end_session("mrojas")
    with pytest.raises(SessionEnded) as exc:
        api.search_patients("ana")
    assert exc.value.read_only and exc.value.reason == "refresh_token_revoked"
    api.login("mrojas", "clave")
    api.begin_action()
    api.pay_order("o1", [])  # a POST without key that went through
    edge.end_session("mrojas")
    with pytest.raises(SessionEnded) as exc:
        api.search_patients("ana")
    assert not exc.value.read_only and not exc.value.repeatable and exc.value.session_no == 3

    # the node reinstalled (new keys, its sessions gone): the token is refused, so is the refresh
    api.login("mrojas", "clave")
    edge.access.clear()
    edge.refresh.clear()
    api.begin_action()
    with pytest.raises(SessionEnded) as exc:
        api.search_patients("ana")
    assert exc.value.reason == "token_invalid" and exc.value.read_only
    assert exc.value.msg.startswith("Su sesión terminó: el nodo ya no la reconoce")
    api.close()


async def test_an_idle_terminal_hears_the_end_from_the_status_bar_and_resumes(
    app: ReceptionApp, edge: SessionEdge
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await at_new_order(pilot)
        await pilot.press("escape", "escape")
        await on_screen(pilot, HomeScreen)
        edge.end_session("mrojas")
        app.refresh_status()  # the status bar's periodic refresh (poll is off here)
        await until(pilot, lambda: isinstance(app.screen, SessionDialog))
        assert text(app, "#session-draft") == ""  # no sale on screen
        await sign_in_on_dialog(pilot, "mrojas")
        await on_screen(pilot, HomeScreen)
        assert app.api.tokens is not None and app.api.session_no == 2


# ------------------------------------------------------------------- a real edge process
ADMIN_PASSWORD = NODE_ADMIN_PASSWORD
PASSWORD = CASHIER_PASSWORD


@pytest.fixture
def real_edge(node_data: Path, tmp_path: Path) -> Iterator[EdgeProcess]:
    """``labred edge serve`` on a node made by ``labred edge init`` (a copy of node_template),
    with a receptionist "cajera"."""
    edge = EdgeProcess(node_data, free_port(), tmp_path / "edge.log")
    edge.start()
    yield edge
    if edge.proc is not None and edge.proc.poll() is None:  # type: ignore[attr-defined]
        terminate(edge.proc)  # type: ignore[arg-type]


def _orders_today(url: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=url, timeout=10) as other:
        login = other.post(
            "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        items: list[dict[str, Any]] = other.get("/api/orders", headers=headers).json()["items"]
        return items


async def test_a_real_node_closes_the_session_mid_sale_and_the_typed_sale_is_sold_once(
    real_edge: EdgeProcess, make_app: Any
) -> None:
    app: ReceptionApp = make_app(real_edge.url)
    app.settings.status_interval = 15.0  # a real node allows each user 100 requests a minute
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "cajera", PASSWORD)
        await _open_cash(pilot, app)
        pay = await _sell_one(pilot, app, "45871236")
        field(app, "payments.0.extra").value = "20"

        # another terminal signs the cashier out everywhere (revokes her refresh tokens) ...
        with httpx.Client(base_url=real_edge.url, timeout=10) as other:
            body = {"username": "cajera", "password": PASSWORD}
            access = other.post("/api/auth/login", json=body).json()["access_token"]
            done = other.post(
                "/api/auth/logout",
                json={"all_sessions": True},
                headers={"Authorization": f"Bearer {access}"},
            )
            assert done.status_code == 200 and done.json()["revoked"] >= 2
        # ... and this terminal's access token runs out (issued 3 hours ago by the node's key)
        assert app.api.tokens is not None
        secret = (real_edge.data_dir / "secrets" / "jwt.key").read_text().strip()
        principal = decode_access_token(app.api.tokens.access, secret=secret)
        past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
        app.api.tokens.access = issue_access_token(principal, secret=secret, now=past)

        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, SessionDialog))
        assert "se cerró desde otro equipo" in text(app, "#session-why")
        assert app.screen_stack[-2] is pay and pay.order is None
        assert _orders_today(real_edge.url) == []

        await sign_in_on_dialog(pilot, "cajera", PASSWORD)
        await until(pilot, lambda: pay.order is not None, timeout=20)
        assert app.screen is pay
        assert field(app, "payments.0.extra").value == "20"
        orders = _orders_today(real_edge.url)
        assert pay.order is not None and len(orders) == 1
        assert pay.order["number"] == orders[0]["number"]
        await pilot.press("f9")  # once more: still one sale
        await settle(pilot)
        assert len(_orders_today(real_edge.url)) == 1
