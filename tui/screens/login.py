"""Sign-in: user and password against the node (works without the hub)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from tui.api import ApiError
from tui.messages import ApiFailed, SignedIn
from tui.screens.base import ReceptionScreen
from tui.widgets.field import FieldWithError


def _required(label: str) -> object:
    def check(text: str) -> str | None:
        return None if text else f"Ingrese {label}."

    return check


class LoginScreen(ReceptionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign_in", "Ingresar"),
        Binding("ctrl+q", "app.quit", "Salir"),
    ]
    FIELD_ALIASES: ClassVar[dict[str, str]] = {}

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="login-box"):
            yield Static("labred — recepción", id="login-title")
            yield Static(f"Nodo: {self.reception.api.base_url}", classes="muted")
            yield FieldWithError(
                "Usuario",
                "username",
                value=self.reception.settings.username,
                check=_required("su usuario"),  # type: ignore[arg-type]
                label_width=12,
            )
            yield FieldWithError(
                "Contraseña",
                "password",
                password=True,
                check=_required("su contraseña"),  # type: ignore[arg-type]
                label_width=12,
            )
            yield Static("", classes="form-error")
            yield Static("Enter o Ctrl+S para ingresar.", classes="muted")

    def on_mount(self) -> None:
        target = "password" if self.reception.settings.username else "username"
        field = self.field(target)
        if field is not None:
            field.input.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "f-username-input":
            password = self.field("password")
            if password is not None:
                password.input.focus()
            return
        self.action_sign_in()

    def action_sign_in(self) -> None:
        self.clear_errors()
        if not self.validate_fields():
            return
        user, password = self.field("username"), self.field("password")
        assert user is not None and password is not None
        self._sign_in(user.value, password.input.value)

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _sign_in(self, username: str, password: str) -> None:
        try:
            profile = self.reception.call_edge(lambda api: api.login(username, password))
        except ApiError as exc:
            self.post_message(ApiFailed("login", exc))
            return
        self.app.post_message(SignedIn(profile))

    def on_api_failed(self, message: ApiFailed) -> None:
        if message.error.status == 401 or message.error.code == "invalid_credentials":
            password = self.field("password")
            if password is not None:
                # Emptying the input must not count as typing: that would clear the message.
                with self.prevent(Input.Changed):
                    password.value = ""
                password.set_error(message.error.msg)
                password.input.focus()
            return
        self.show_api_error(message.error)
