"""A labelled input with its error line underneath, in Spanish, next to the field."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

Check = Callable[[str], str | None]
"""Local validation: the Spanish message of what is wrong, or None."""


class FieldWithError(Vertical):
    """``name`` is the API field it edits: an ``ApiError`` whose ``loc`` ends in it lands here."""

    DEFAULT_CSS = """
    FieldWithError { height: auto; width: 1fr; }
    FieldWithError > Horizontal { height: 1; }
    FieldWithError .field-label { width: auto; min-width: 10; padding-right: 1; }
    FieldWithError Input { width: 1fr; }
    FieldWithError .field-error { color: $error; height: auto; width: 1fr; display: none; }
    FieldWithError.-invalid .field-error { display: block; }
    """

    def __init__(
        self,
        label: str,
        name: str,
        *,
        value: str = "",
        placeholder: str = "",
        password: bool = False,
        check: Check | None = None,
        label_width: int | None = None,
    ) -> None:
        super().__init__(name=name, id="f-" + name.replace(".", "-"))
        self.label = label
        self.check = check
        self._label_width = label_width
        self._input = Input(
            value=value,
            placeholder=placeholder,
            password=password,
            compact=True,
            id="f-" + name.replace(".", "-") + "-input",
        )

    def compose(self) -> ComposeResult:
        with Horizontal():
            label = Label(self.label, classes="field-label")
            if self._label_width:
                label.styles.width = self._label_width
            yield label
            yield self._input
        yield Label("", classes="field-error")

    def on_mount(self) -> None:
        self._input.cursor_blink = bool(getattr(self.app, "blink", True))

    @property
    def input(self) -> Input:
        return self._input

    @property
    def value(self) -> str:
        return self._input.value.strip()

    @value.setter
    def value(self, text: str) -> None:
        self._input.value = text

    @property
    def error(self) -> str:
        return str(self.query_one(".field-error", Label).content) if self.is_mounted else ""

    def set_error(self, msg: str | None) -> None:
        self.query_one(".field-error", Label).update(msg or "")
        self.set_class(bool(msg), "-invalid")

    def validate(self) -> bool:
        """Run the local check; show its message. True when the value is acceptable."""
        msg = self.check(self.value) if self.check else None
        self.set_error(msg)
        return msg is None

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.has_class("-invalid"):
            self.set_error(None)

    def on_input_blurred(self, event: Input.Blurred) -> None:
        if self.value:
            self.validate()
