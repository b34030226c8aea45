"""A bad value in edge.toml / hub.toml (or its environment variable) is one Spanish sentence
naming the key, where it came from, what it must be and what was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.settings import load_hub_settings
from edge.settings import load_edge_settings
from sync.config import ConfigError


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("workers = 0", "ajuste inválido 'workers' en {cfg}: debe estar entre 1 y 16; "
         "se recibió 0."),
        ("workers = 40", "ajuste inválido 'workers' en {cfg}: debe estar entre 1 y 16; "
         "se recibió 40."),
        ('workers = "dos"', "ajuste inválido 'workers' en {cfg}: debe ser un número entero; "
         "se recibió 'dos'."),
        ("wrkers = 2", "ajuste inválido 'wrkers' en {cfg}: no es un ajuste conocido (revise el "
         "nombre); se recibió 2."),
    ],
)  # fmt: skip
def test_a_bad_edge_toml_value_is_spanish_with_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, expected: str
) -> None:
    monkeypatch.delenv("LABRED_EDGE_WORKERS", raising=False)
    cfg = tmp_path / "edge.toml"
    cfg.write_text(line + "\n")
    with pytest.raises(ConfigError) as info:
        load_edge_settings(tmp_path)
    assert str(info.value) == expected.format(cfg=cfg)


def test_an_environment_value_names_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "edge.toml").write_text("rate_limit_per_minute = 50\n")
    monkeypatch.setenv("LABRED_EDGE_RATE_LIMIT_PER_MINUTE", "0")
    with pytest.raises(ConfigError) as info:
        load_edge_settings(tmp_path)
    assert str(info.value) == (
        "ajuste inválido 'rate_limit_per_minute' en la variable "
        "LABRED_EDGE_RATE_LIMIT_PER_MINUTE: debe ser mayor o igual que 1; se recibió '0'."
    )


def test_the_hub_file_is_spanish_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABRED_HUB_PORT", raising=False)
    cfg = tmp_path / "hub.toml"
    cfg.write_text("port = 0\n")
    with pytest.raises(ConfigError) as info:
        load_hub_settings(tmp_path, cfg)
    assert "ajuste inválido 'port' en " in str(info.value)
    assert "se recibió 0." in str(info.value)
