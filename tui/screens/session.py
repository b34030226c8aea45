"""Sign-in again ON TOP of the open screens when the node ends the session mid-work.

The dialog says why the session ended and keeps everything behind it as it was. Signing in as
the same user resumes at once. Another user is asked first when a sale is on screen ("La
venta en curso la empezó X. ¿Continuar como Y?"): F9 continues with the sale on screen (it is
registered under the new user only when they press Cobrar), F8 discards it. A deactivated user
cannot sign in again: the dialog says so and the sale waits (also on disk) for the next one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from domain.money import fmt_soles
from tui.api import ApiError, Profile
from tui.draft import OrderDraft
from tui.session import Resumed
from tui.widgets.field import FieldWithError

if TYPE_CHECKING:
    from tui.app import ReceptionApp


class SessionDialog(ModalScreen[Resumed]):
    """Dismissed with who signed in, and whether they continue or discard the sale."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "sign_in", "Ingresar"),
        Binding("f9", "take_over", "Continuar venta"),
        Binding("f8", "discard", "Descartar venta"),
    ]

    def __init__(
        self, msg: str, *, reason: str, previous: Profile | None, draft: OrderDraft | None
    ) -> None:
        super().__init__()
        self.msg = msg
        self.reason = reason
        self.previous = previous
        self.draft = draft
        self.signed_in: Profile | None = None
        """The user who signed in on the dialog while they are asked about the sale."""

    @property
    def reception(self) -> ReceptionApp:
        return cast("ReceptionApp", self.app)

    def compose(self) -> ComposeResult:
        username = self.previous["username"] if self.previous else ""
        if self.reason == "user_inactive":
            username = ""  # that user cannot come back: the next cashier types theirs
        with Vertical(id="session-box"):
            yield Static("Sesión terminada", classes="section")
            yield Static(self.msg, id="session-why")
            yield Static(self._draft_line(), id="session-draft")
            yield FieldWithError("Usuario", "username", value=username, label_width=12)
            yield FieldWithError("Contraseña", "password", password=True, label_width=12)
            yield Static("", classes="form-error")
            with Vertical(id="session-ask"):
                yield Static("", id="session-question")
                yield Static("F9: continuar la venta · F8: descartarla", classes="muted")
            yield Static(
                "Enter o Ctrl+S: ingresar · Ctrl+Q: salir", classes="muted", id="session-hint"
            )
        yield Footer(compact=True, show_command_palette=False)

    def _draft_line(self) -> str:
        d = self.draft
        if d is None:
            return ""
        return (
            f"Venta en curso: {d.patient.get('full_name', '')}, {len(d.services)} examen(es), "
            f"{fmt_soles(d.total)} (la empezó {d.cashier_label()}); se conserva."
        )

    def on_mount(self) -> None:
        user, password = self.query(FieldWithError)
        (password if user.value else user).input.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("take_over", "discard"):
            return self.signed_in is not None
        if action == "sign_in":
            return self.signed_in is None
        return True

    # ---------------------------------------------------------------------------- sign in
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "f-username-input":
            self.query_one("#f-password-input", Input).focus()
            return
        self.action_sign_in()

    def action_sign_in(self) -> None:
        if self.signed_in is not None:
            return
        user, password = self.query(FieldWithError)
        for f in (user, password):
            f.set_error(None)
        self.query_one(".form-error", Static).update("")
        ok = True
        for f, text in ((user, "Ingrese su usuario."), (password, "Ingrese su contraseña.")):
            if not f.input.value.strip():
                f.set_error(text)
                ok = False
        if ok:
            self._sign_in(user.value, password.input.value)

    @work(thread=True, exclusive=True, group="session-login", exit_on_error=False)
    def _sign_in(self, username: str, password: str) -> None:
        try:
            profile = self.reception.call_edge(lambda api: api.login(username, password))
        except ApiError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._signed_in, profile)

    def _failed(self, error: ApiError) -> None:
        password = self.query_one("#f-password", FieldWithError)
        with self.prevent(Input.Changed):
            password.value = ""
        if error.status == 401 or error.code in ("invalid_credentials", "user_inactive"):
            password.set_error(error.msg)
        else:
            self.query_one(".form-error", Static).update(error.msg)
        password.input.focus()

    def _signed_in(self, profile: Profile) -> None:
        same = self.previous is not None and profile["username"] == self.previous["username"]
        if same or self.draft is None:
            self.dismiss(Resumed(profile["username"], same_user=same, name=profile["full_name"]))
            return
        self.signed_in = profile
        name = profile.get("full_name") or profile["username"]
        self.query_one("#session-question", Static).update(
            f"La venta en curso la empezó {self.draft.cashier_label()}. ¿Continuar como {name}?"
        )
        self.query_one("#session-ask").add_class("-asking")
        self.query_one("#session-hint").display = False
        for f in self.query(FieldWithError):
            f.input.disabled = True
        self.refresh_bindings()

    # ------------------------------------------------------------ another user: the sale
    def action_take_over(self) -> None:
        if self.signed_in is not None:
            self.dismiss(Resumed.of(self.signed_in))

    def action_discard(self) -> None:
        if self.signed_in is not None:
            self.dismiss(Resumed.of(self.signed_in, discarded=True))
