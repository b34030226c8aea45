"""``ReceptionApp``: the screens, the connection to the node and the signed-in user.

Kept thin: screens own their forms; this module owns what they share — the ``EdgeApi``, the
online/offline state (a ``/health`` probe every few seconds), the status bar data, and
``call_edge`` which workers use to reach the node, retrying while it is away.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar, TypeVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.worker import get_current_worker

from domain.clock import Clock, SystemClock
from tui.api import ApiError, EdgeApi, EdgeUnreachable, NodeStatus, Profile
from tui.messages import EdgeOnline, NodeStatusUpdated, SessionExpired, SignedIn
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
        retry every ``offline_retry`` seconds (the screen keeps what was typed)."""
        deadline = time.monotonic() + self.settings.offline_give_up
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
            except ApiError as exc:
                if exc.code == "session_expired":
                    self.post_message(SessionExpired(exc.msg))
                raise
            self.post_message(EdgeOnline(True))
            return result

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def probe(self) -> None:
        self.post_message(EdgeOnline(self.api.health()))

    @work(thread=True, exclusive=True, group="status", exit_on_error=False)
    def refresh_status(self) -> None:
        if self.api.tokens is None:
            return
        try:
            status = self.api.node_status()
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
        self.refresh_status()

    def on_session_expired(self, message: SessionExpired) -> None:
        self.notify(message.msg, severity="warning", timeout=8)
        self._back_to_login()

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
