"""``labred edge lab-listener`` listens where edge.toml says (``lab_listener = "HOST:PORT"``,
``EdgeSettings.lab_listener_address``) when no flag is given; each flag given wins over its half
of the setting; without either it is 127.0.0.1:2575 as before. Across real processes: the command
with only ``--data-dir`` and the edge.toml key answers an ORU^R01 on the configured port."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.cli import LAB_LISTENER_DEFAULT, lab_listener_bind
from edge.labsync.hl7_parse import frame, parse_ack
from tests.edge.labsync.test_listener_setting import _exchange, _wait_listening
from tests.procs import free_port, init_edge, labred, terminate


@pytest.mark.parametrize(
    ("host", "port", "configured", "expected"),
    [
        (None, None, None, ("127.0.0.1", 2575)),
        (None, None, ("0.0.0.0", 2600), ("0.0.0.0", 2600)),
        ("127.0.0.1", None, ("0.0.0.0", 2600), ("127.0.0.1", 2600)),
        (None, 2700, ("0.0.0.0", 2600), ("0.0.0.0", 2700)),
        ("::", 2800, ("0.0.0.0", 2600), ("::", 2800)),
        ("10.0.0.5", None, None, ("10.0.0.5", 2575)),
    ],
)
def test_flags_win_then_edge_toml_then_the_default(
    host: str | None,
    port: int | None,
    configured: tuple[str, int] | None,
    expected: tuple[str, int],
) -> None:
    assert lab_listener_bind(host, port, configured) == expected
    assert LAB_LISTENER_DEFAULT == ("127.0.0.1", 2575)


@pytest.mark.slow
def test_lab_listener_without_flags_listens_where_edge_toml_says(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", "clave-de-prueba-123", demo_catalog=False)
    port = free_port()
    with (data / "edge.toml").open("a") as fh:
        fh.write(f'\nlab_listener = "127.0.0.1:{port}"\n')
    log = tmp_path / "listener.log"
    proc = labred("edge", "lab-listener", "--data-dir", str(data), log=log)
    try:
        _wait_listening(port, proc, log)
        oru = (
            "MSH|^~\\&|LAB|LAB|LABRED|S01|20261130||ORU^R01|ORU-CLI-1|P|2.5.1\r"
            "OBR|1|S01-20990101-0001-1^LABRED||GLU^Glucosa^L\r"
            "OBX|1|NM|GLU^Glucosa^L|1|99|mg/dL|70-99|N|||F"
        )
        ack = parse_ack(_exchange(port, frame(oru)))
    finally:
        terminate(proc)
    assert (ack.code, ack.control_id) == ("AE", "ORU-CLI-1")  # the node's own handler answered
    assert f"lab MLLP listener on 127.0.0.1:{port}" in log.read_text()
