"""The command line: every sub-command has help; expected failures are one clear sentence."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from labred.cli import main
from tests.procs import free_port

SUBCOMMANDS = ["edge", "hub", "tui", "demo", "sandbox", "migrate"]


def test_top_level_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert f"    {name} " in out


@pytest.mark.parametrize(
    "argv",
    [
        ["edge", "--help"],
        ["edge", "serve", "--help"],
        ["edge", "worker", "--help"],
        ["edge", "init", "--help"],
        ["edge", "enroll", "--help"],
        ["hub", "--help"],
        ["hub", "serve", "--help"],
        ["hub", "worker", "--help"],
        ["tui", "--help"],
        ["demo", "--help"],
        ["sandbox", "--help"],
        ["sandbox", "sunat", "--help"],
        ["sandbox", "lab", "--help"],
        ["sandbox", "smtp", "--help"],
        ["sandbox", "whatsapp", "--help"],
        ["hub", "seed", "--help"],
        ["migrate", "--help"],
    ],
)
def test_every_subcommand_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "usage: labred" in capsys.readouterr().out


def _one_clear_sentence(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_taken_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["migrate", "edge", "--data-dir", str(tmp_path)]) == 0
        code = main(["edge", "serve", "--data-dir", str(tmp_path), "--port", str(port)])
    assert code == 1
    line = _one_clear_sentence(capsys.readouterr().err)
    assert f"port {port} on 127.0.0.1 is already in use" in line


def test_data_dir_that_cannot_be_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["edge", "serve", "--data-dir", str(blocker / "data")]) == 1
    assert "cannot create data directory" in _one_clear_sentence(capsys.readouterr().err)


def test_data_dir_not_writable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # /proc/self is a directory nobody (not even root) can create files in.
    assert main(["migrate", "edge", "--data-dir", "/proc/self"]) == 1
    assert "not writable" in _one_clear_sentence(capsys.readouterr().err)


def test_bad_configuration_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "edge.toml"
    cfg.write_text("port = [unclosed\n")
    assert main(["edge", "serve", "--data-dir", str(tmp_path), "--config", str(cfg)]) == 1
    assert "is not valid TOML" in _one_clear_sentence(capsys.readouterr().err)


def test_bad_configuration_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "edge.toml").write_text("port = 99999999\n")
    assert main(["edge", "serve", "--data-dir", str(tmp_path)]) == 1
    assert "ajuste inválido 'port'" in _one_clear_sentence(capsys.readouterr().err)


def test_missing_configuration_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["hub", "serve", "--data-dir", str(tmp_path), "--config", str(tmp_path / "nope.toml")])
        == 1
    )
    assert "does not exist" in _one_clear_sentence(capsys.readouterr().err)


def test_unreachable_database_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://labred@127.0.0.1:{dead_port}/labred")
    assert main(["hub", "serve", "--data-dir", str(tmp_path), "--port", str(free_port())]) == 1
    line = _one_clear_sentence(capsys.readouterr().err)
    assert "cannot reach the hub database at 127.0.0.1" in line


def test_unmigrated_edge_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edge", "serve", "--data-dir", str(tmp_path), "--port", str(free_port())]) == 1
    assert "run 'labred migrate edge' first" in _one_clear_sentence(capsys.readouterr().err)


def test_environment_beats_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edge.settings import load_edge_settings

    (tmp_path / "edge.toml").write_text('port = 9001\nhub_url = "http://hub.example"\n')
    monkeypatch.setenv("LABRED_EDGE_PORT", "9002")
    s = load_edge_settings(tmp_path)
    assert s.port == 9002 and s.hub_url == "http://hub.example"
    assert load_edge_settings(tmp_path, port=9003).port == 9003
