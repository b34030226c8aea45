"""Typing into the app at a scanner's pace (no pytest here: the memory probe imports it).

``Pilot.press`` waits for the whole process to go idle after every key (two 20 ms idle
checks at least, up to a second each while a worker or an in-process server is busy), which
made typing most of the TUI tests' time. ``type_keys`` posts the same key events, in the same
order, and waits once, after the last key, as ``Pilot.press`` does.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot


async def type_keys(pilot: Pilot[Any], text: str, *then: str) -> None:
    """Type ``text`` one key event per character (the events ``Pilot.press`` makes), then
    press the keys in ``then`` (e.g. ``"enter"``) and wait until the screen has handled them."""
    quick, pressed = (text, then) if then else (text[:-1], tuple(text[-1:]))
    for ch in quick:
        key = ch if ch.isalnum() else _character_to_key(ch)
        event = events.Key(key, ch)
        event.set_sender(pilot.app)
        pilot.app.post_message(event)
    await pilot.press(*pressed)  # queued after the keys above; waits as it does for them all
