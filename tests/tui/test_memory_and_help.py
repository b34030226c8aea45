"""The TUI stays small (≤ 100 MB resident) and its help lists every key binding."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from textual.screen import Screen

import tui.screens
from tui.screens.help import bindings_of, help_lines, key_label, screen_classes

ROOT = Path(__file__).resolve().parents[2]
RSS_LIMIT_MB = 100


def test_a_headless_run_stays_under_100_mb_resident() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.tui.rss_probe"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r"screens=(\d+) peak_rss_mb=([\d.]+)", done.stdout)
    assert match, done.stdout
    peak = float(match.group(2))
    print(f"\nTUI headless run: {done.stdout.strip()} (limit {RSS_LIMIT_MB} MB)")
    assert int(match.group(1)) >= 2  # it really went through the screens
    assert 20 < peak <= RSS_LIMIT_MB


def _all_screen_classes() -> set[type]:
    for module in pkgutil.iter_modules(tui.screens.__path__):
        importlib.import_module(f"tui.screens.{module.name}")
    found: set[type] = set()
    pending: list[type] = [Screen]
    while pending:
        cls = pending.pop()
        subs: list[type] = cls.__subclasses__()
        for sub in subs:
            pending.append(sub)
            # a base shared by screens and never shown itself says so (``SHOWN = False``)
            if sub.__module__.startswith("tui.") and sub.__dict__.get("SHOWN", True):
                found.add(sub)
    return found


HIDDEN_ON_PURPOSE = {
    ("ReceptionApp", "ctrl+q"),  # in the footer of sign-in and home (their own binding)
    ("OrdersScreen", "f5"),  # named in the screen's title, so the other keys fit 80 columns
}


def test_help_covers_every_screen() -> None:
    listed = {cls for _, cls in screen_classes()}
    missing = {c.__name__ for c in _all_screen_classes()} - {c.__name__ for c in listed}
    assert missing == set()


@pytest.mark.parametrize("title, cls", screen_classes(), ids=lambda v: getattr(v, "__name__", v))
def test_every_binding_appears_in_help(title: str, cls: type) -> None:
    lines = help_lines()
    section = lines[lines.index(f"[b]{title}[/b]") :]
    assert bindings_of(cls), f"{cls.__name__} declares no bindings"
    for binding in bindings_of(cls):
        for key in binding.key.split(","):
            line = f"  {key_label(key.strip()):<8} {binding.description}"
            assert line in section, f"{cls.__name__}: {key} missing from help"
            hidden_on_purpose = (cls.__name__, key) in HIDDEN_ON_PURPOSE
            assert binding.show or hidden_on_purpose, f"{cls.__name__}: {key} hidden from footer"


def test_key_labels() -> None:
    assert key_label("f9") == "F9"
    assert key_label("ctrl+s") == "Ctrl+S"
    assert key_label("escape") == "Escape"
