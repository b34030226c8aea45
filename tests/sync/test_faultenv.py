"""The test-only pause hook of real processes: off without the variable, once at the N-th hit."""

from __future__ import annotations

from pathlib import Path

from sync.faultenv import ENV_MARKERS, ENV_PAUSE, from_env, parse


def test_parse_points_seconds_and_skips() -> None:
    assert parse("a=5@2, b=0.5") == {"a": (5.0, 2), "b": (0.5, 0)}
    assert parse("") == {}


def test_no_variable_no_hook() -> None:
    assert from_env({}) is None


def test_marker_appears_at_the_chosen_hit_only(tmp_path: Path) -> None:
    hook = from_env({ENV_PAUSE: "edge.after_reply=0@1", ENV_MARKERS: str(tmp_path)})
    assert hook is not None
    marker = tmp_path / "edge.after_reply"
    hook("edge.mid_pull_page")
    hook("edge.after_reply")
    assert not marker.exists()  # the first hit is skipped
    hook("edge.after_reply")
    assert marker.exists()
    marker.unlink()
    hook("edge.after_reply")
    assert not marker.exists()  # only once
