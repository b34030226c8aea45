"""The order page's "Rechazar muestra" dialog offers exactly the API's reasons, with its labels."""

from __future__ import annotations

from html.parser import HTMLParser

from edge.samples.models import REJECT_REASON_LABELS, RejectReason
from edge.web import router as web_router

TEMPLATE = web_router.STATIC_DIR.parent / "templates" / "orden.html"


class _Options(HTMLParser):
    """The (value, text) of each option of the select named ``reason`` in ``#reject-form``."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[tuple[str, str]] = []
        self._in_form = self._in_select = False
        self._value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id") == "reject-form":
            self._in_form = True
        elif self._in_form and tag == "select" and a.get("name") == "reason":
            self._in_select = True
        elif self._in_select and tag == "option":
            self._value = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._in_select = False

    def handle_data(self, data: str) -> None:
        if self._value is not None:
            self.options.append((self._value, data.strip()))
            self._value = None


def test_the_reasons_are_the_apis_with_their_spanish_labels() -> None:
    scan = _Options()
    scan.feed(TEMPLATE.read_text(encoding="utf-8"))
    placeholder, *reasons = scan.options
    assert placeholder == ("", "Elija el motivo…")  # nothing chosen until the user picks
    assert reasons == [(str(r.value), REJECT_REASON_LABELS[r]) for r in RejectReason]


def test_the_note_has_the_apis_length_and_a_place_for_its_error() -> None:
    html = TEMPLATE.read_text(encoding="utf-8")
    assert 'name="note" data-loc="note" rows="2" maxlength="300"' in html
    assert '<span class="field-error" data-error-for="note"></span>' in html
    assert 'id="o-recollection" hidden>Retoma pendiente<' in html
