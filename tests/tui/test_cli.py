"""``labred tui``: options, settings errors and the non-terminal refusal are one sentence."""

from __future__ import annotations

import pytest

from labred.cli import main


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["tui", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--edge" in out and "--user" in out


def test_a_bad_edge_url_is_one_clear_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tui", "--edge", "ftp://nodo"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("labred: error: --edge must be an http:// or https:// URL")
    assert len(err.splitlines()) == 1


def test_without_a_terminal_it_says_so_instead_of_hanging(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["tui", "--edge", "http://127.0.0.1:9"]) == 1  # pytest's stdin is no TTY
    assert "needs an interactive terminal" in capsys.readouterr().err
