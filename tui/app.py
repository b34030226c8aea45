"""``ReceptionApp``: the screens, the connection to the node and the signed-in user.

Kept thin: screens own their forms; this module owns what they share — the ``EdgeApi``, the
online/offline state (a ``/health`` probe every few seconds), the status bar data, and
``call_edge`` which workers use to reach the node, retrying while it is away.

When the node ends the session, ``call_edge`` waits (see ``tui.session``) while the sign-in
dialog is shown on top of the open screens, then sends the failed request again when that is
safe; nothing typed is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar, TypeVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.worker import NoActiveWorker, get_current_worker

from domain.clock import Clock, SystemClock
from tui.api import ApiError, EdgeApi, EdgeUnreachable, NodeStatus, Profile, SessionEnded
from tui.draft import OrderDraft, forget_draft, load_draft, save_draft
from tui.messages import EdgeOnline, NodeStatusUpdated, SessionExpired, SignedIn
from tui.session import Resumed, SessionGate, resume_message
from tui.settings import TuiSettings

T = TypeVar("T")


class ReceptionApp(App[None]):
    CSS_PATH = "reception.tcss"
    TITLE = "labred — recepción"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        # Shown in the footer of sign-in and home only: leaving mid-sale is not an everyday key.
        Binding("ctrl+q", "quit", "Salir", priority=True, show=False),
    ]

    online: reactive[bool] = reactive(True)
    node: reactive[NodeStatus] = reactive(NodeStatus, always_update=True)
    profile: reactive[Profile | None] = reactive(None, always_update=True)
    tick: reactive[int] = reactive(0)

    def __init__(
        self,
        api: EdgeApi,
        *,
        settings: TuiSettings | None = None,
        clock: Clock | None = None,
        poll: bool = True,
        blink: bool = True,
    ) -> None:
        super().__init__()
        self.api = api
        self.settings = settings or TuiSettings(edge_url=api.base_url)
        self.clock: Clock = clock or SystemClock()
        self.poll = poll
        self.blink = blink
        self.session_gate = SessionGate()
        self._asking_sign_in = False

    def on_mount(self) -> None:
        from tui.screens.login import LoginScreen

        self.push_screen(LoginScreen())
        if self.poll:
            self.set_interval(self.settings.probe_interval, self.probe)
            self.set_interval(self.settings.status_interval, self.refresh_status)
            self.set_interval(30, self._tick)

    def _tick(self) -> None:
        self.tick += 1

    # ------------------------------------------------------------------ reaching the node
    def call_edge(self, fn: Callable[[EdgeApi], T]) -> T:
        """Run ``fn(api)`` in a worker thread; while the node is away, show the banner and
        retry every ``offline_retry`` seconds (the screen keeps what was typed). When the node
        ends the session, wait for a new sign-in on the dialog and send ``fn`` again if that
        is safe, else raise ``session_resumed`` (the cashier presses the action again)."""
        deadline = time.monotonic() + self.settings.offline_give_up
        self.api.begin_action()
        while True:
            try:
                result = fn(self.api)
            except EdgeUnreachable as exc:
                self.post_message(EdgeOnline(False))
                worker = get_current_worker()
                if not exc.retryable or worker.is_cancelled or time.monotonic() > deadline:
                    raise
                time.sleep(self.settings.offline_retry)
                continue
            except SessionEnded as exc:
                resumed = self._await_sign_in(exc)
                if resumed is None or resumed.discarded:
                    raise
                if not resumed.may_resend(exc):
                    raise ApiError(401, "session_resumed", resume_message(resumed)) from None
                self.api.begin_action()
                deadline = time.monotonic() + self.settings.offline_give_up
                continue
            self.post_message(EdgeOnline(True))
            return result

    def _await_sign_in(self, error: SessionEnded) -> Resumed | None:
        """Block this worker until someone signs in on the dialog (None: gave up)."""
        if error.session_no != self.api.session_no and not self.session_gate.closed:
            return self.session_gate.last  # someone signed in since this request was sent
        if self.session_gate.close():
            self.post_message(SessionExpired(error.msg, error.reason))
        try:
            worker = get_current_worker()
        except NoActiveWorker:
            return None
        return self.session_gate.wait(lambda: worker.is_cancelled)

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def probe(self) -> None:
        self.post_message(EdgeOnline(self.api.health()))

    @work(thread=True, exclusive=True, group="status", exit_on_error=False)
    def refresh_status(self) -> None:
        if self.api.tokens is None:
            return
        try:
            status = self.api.node_status()
        except SessionEnded as exc:
            if self.session_gate.close():  # the dialog comes up even with nobody typing
                self.post_message(SessionExpired(exc.msg, exc.reason))
            return
        except EdgeUnreachable:
            self.post_message(EdgeOnline(False))
            return
        except ApiError:
            return  # a role without sync.status keeps the last bar
        self.post_message(EdgeOnline(True))
        self.post_message(NodeStatusUpdated(status))

    def on_edge_online(self, message: EdgeOnline) -> None:
        came_back = message.online and not self.online
        self.online = message.online
        if came_back:
            self.refresh_status()

    def on_node_status_updated(self, message: NodeStatusUpdated) -> None:
        self.node = message.status

    # -------------------------------------------------------------------------- session
    def on_signed_in(self, message: SignedIn) -> None:
        from tui.screens.home import HomeScreen

        self.profile = message.profile
        self.switch_screen(HomeScreen())
        self._offer_saved_sale()
        self.refresh_status()

    def on_session_expired(self, message: SessionExpired) -> None:
        """Sign in again on top of the open screens; what is on them stays as it was."""
        from tui.screens.session import SessionDialog

        if self.profile is None or self._asking_sign_in:  # signed out meanwhile, or shown
            if self.profile is None:
                self.session_gate.open(None)
            return
        draft = self.sale_in_progress()
        if draft is not None:
            self.keep_draft(draft)
        self._asking_sign_in = True
        dialog = SessionDialog(
            message.msg, reason=message.reason, previous=self.profile, draft=draft
        )
        self.push_screen(dialog, self._signed_in_again)

    def _signed_in_again(self, resumed: Resumed | None) -> None:
        self._asking_sign_in = False
        self.profile = self.api.profile
        if resumed is None or resumed.discarded:
            self.forget_draft()
            self.go_home()
            self.session_gate.open(resumed)
            self.notify("Venta descartada.", severity="warning", timeout=6)
            self.refresh_status()
            return
        draft = self.sale_in_progress()
        if draft is not None and self.profile is not None and not resumed.same_user:
            draft.cashier = self.profile["username"]
            draft.cashier_name = self.profile["full_name"]
        self.forget_draft()  # it is on screen again, with someone signed in to finish it
        self.session_gate.open(resumed)
        name = self.profile["full_name"] if self.profile else resumed.username
        self.notify(f"Sesión de {name}: continúe donde estaba.", timeout=6)
        self.refresh_status()

    # --------------------------------------------------------------- the sale on screen
    def sale_in_progress(self) -> OrderDraft | None:
        """The sale being put together on the open screens (None when none, or registered)."""
        from tui.screens.new_order import NewOrderScreen
        from tui.screens.payment import PaymentScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, PaymentScreen):
                return None if screen.order is not None else screen.draft
            if isinstance(screen, NewOrderScreen):
                screen.sync_draft()
                return screen.draft
        return None

    def keep_draft(self, draft: OrderDraft) -> None:
        """Write the sale to disk too, so closing the terminal now does not lose it."""
        try:
            save_draft(draft, self.settings.draft_file)
        except OSError as exc:
            self.notify(
                f"La venta sigue en pantalla, pero no se pudo guardar en disco: {exc.strerror}.",
                severity="warning",
                timeout=8,
            )

    def forget_draft(self) -> None:
        try:
            forget_draft(self.settings.draft_file)
        except OSError:
            pass  # nothing was saved there, or it goes at the next chance

    def _offer_saved_sale(self) -> None:
        """A sale kept when a session ended and the terminal was closed: back on screen."""
        from tui.screens.new_order import NewOrderScreen

        draft = load_draft(self.settings.draft_file)
        if draft is None or self.profile is None:
            return
        self.push_screen(NewOrderScreen(draft.patient, draft=draft, recovered=True))

    def action_sign_out(self) -> None:
        self._sign_out_worker()

    @work(thread=True, exclusive=True, group="auth", exit_on_error=False)
    def _sign_out_worker(self) -> None:
        self.api.logout()
        self.call_from_thread(self._back_to_login)

    def _back_to_login(self) -> None:
        from tui.screens.login import LoginScreen

        self.api.tokens = None
        self.api.profile = None
        self.profile = None
        self.session_gate.open(None)
        self.node = NodeStatus()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, LoginScreen):
            self.switch_screen(LoginScreen())

    # ------------------------------------------------------------------------ navigation
    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_screen(self, name: str) -> None:
        """Home's menu: ``patients``, ``orders`` or ``cash``."""
        from tui.screens.cash import CashScreen
        from tui.screens.orders import OrdersScreen
        from tui.screens.patients import PatientsScreen

        screens = {"patients": PatientsScreen, "orders": OrdersScreen, "cash": CashScreen}
        self.push_screen(screens[name]())

    def go_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
