"""What every reception screen shares: status bar, offline banner, footer, error placement."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static

from tui.api import ApiError
from tui.widgets.field import FieldWithError
from tui.widgets.offline_banner import OfflineBanner
from tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui.app import ReceptionApp


class ReceptionScreen(Screen[Any]):
    """Subclasses implement ``compose_body``; errors land next to their field."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "app.help", "Ayuda"),
    ]
    FIELD_ALIASES: ClassVar[dict[str, str]] = {}
    """Last ``loc`` part of an API error → the field that shows it (e.g. tendered → extra)."""

    _pending: Timer | None = None

    def later(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` after the typing pause; each keystroke restarts the pause."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        delay = self.reception.settings.search_delay
        if delay <= 0:
            fn()
        else:
            self._pending = self.set_timer(delay, fn)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield OfflineBanner()
        yield from self.compose_body()
        yield Footer(compact=True, show_command_palette=False)

    def compose_body(self) -> Iterable[Widget]:
        return []

    @property
    def reception(self) -> ReceptionApp:
        return cast("ReceptionApp", self.app)

    # ------------------------------------------------------------------------ errors
    def fields(self) -> list[FieldWithError]:
        return list(self.query(FieldWithError))

    def field(self, name: str) -> FieldWithError | None:
        return next((f for f in self.fields() if f.name == name), None)

    def clear_errors(self) -> None:
        for f in self.fields():
            f.set_error(None)
        for line in self.query(".form-error"):
            cast(Static, line).update("")

    def validate_fields(self, names: Iterable[str] | None = None) -> bool:
        wanted = set(names) if names is not None else None
        ok = True
        for f in self.fields():
            if wanted is None or f.name in wanted:
                ok = f.validate() and ok
        return ok

    def _target(self, error: ApiError) -> FieldWithError | None:
        parts = [str(p) for p in error.loc if p not in ("body", "query", "path")]
        if parts and parts[-1] in self.FIELD_ALIASES:
            parts[-1] = self.FIELD_ALIASES[parts[-1]]
        for n in range(len(parts), 0, -1):
            found = self.field(".".join(parts[:n]))
            if found is not None:
                return found
        if parts:
            return self.field(parts[-1])
        return None

    def show_api_error(self, error: ApiError) -> None:
        """Each error of the response next to its field; the rest on the form line or a toast."""
        loose: list[str] = []
        for item in error.all():
            target = self._target(item)
            if target is not None:
                target.set_error(item.msg)
            else:
                loose.append(item.msg)
        if not loose:
            return
        lines = list(self.query(".form-error"))
        if lines:
            cast(Static, lines[0]).update(" ".join(loose))
        else:
            self.notify(" ".join(loose), severity="error", timeout=8)
