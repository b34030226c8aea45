"""The MLLP results listener is a property of the sede's machine: ``lab_listener`` in edge.toml
(or ``LABRED_EDGE_LAB_LISTENER``) switches it on, and wins over the hub's per-sede listener
(``lab.sede.<sede id>``); a bad value is one Spanish sentence at start-up. Across real processes:
``labred edge worker`` with the edge.toml key listens, and an ORU^R01 sent over a real socket is
acknowledged."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sqlmodel import select

from domain.ids import new_id
from edge.config.models import Setting
from edge.db import unit_of_work
from edge.labsync import worker as lab_worker
from edge.labsync.hl7_parse import END_BLOCK, frame, parse_ack
from edge.labsync.queue import SEDE_SETTING_PREFIX
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from sync.config import ConfigError
from tests.edge.factories import SEDE_S01
from tests.procs import free_port, init_edge, labred, terminate


def _hub_listener(rt: EdgeRuntime, port: int) -> None:
    """The hub's per-sede laboratory setting, as the pull stores it."""
    with unit_of_work(rt.engine) as session:
        key = SEDE_SETTING_PREFIX + SEDE_S01
        row = session.exec(select(Setting).where(Setting.key == key)).first()
        row = row or Setting(id=new_id(), key=key)
        row.value = {"lab_system_id": None, "listener": {"host": "127.0.0.1", "port": port}}
        session.add(row)


def test_without_edge_toml_or_hub_setting_there_is_no_listener(edge_runtime: EdgeRuntime) -> None:
    assert edge_runtime.settings.lab_listener is None
    assert lab_worker.listener_setting(edge_runtime) is None


def test_the_hubs_listener_applies_until_edge_toml_names_one(edge_runtime: EdgeRuntime) -> None:
    _hub_listener(edge_runtime, 2576)
    assert lab_worker.listener_setting(edge_runtime) == {"host": "127.0.0.1", "port": 2576}
    edge_runtime.settings.lab_listener = "0.0.0.0:2575"
    assert lab_worker.listener_setting(edge_runtime) == {"host": "0.0.0.0", "port": 2575}


def test_a_lab_listener_row_of_the_old_kind_is_not_read(edge_runtime: EdgeRuntime) -> None:
    with unit_of_work(edge_runtime.engine) as session:
        session.add(Setting(id=new_id(), key="lab.listener", value={"port": 2575}))
    assert lab_worker.listener_setting(edge_runtime) is None


def test_edge_toml_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABRED_EDGE_LAB_LISTENER", raising=False)
    (tmp_path / "edge.toml").write_text('lab_listener = "0.0.0.0:2575"\n')
    assert load_edge_settings(tmp_path).lab_listener_address == ("0.0.0.0", 2575)
    monkeypatch.setenv("LABRED_EDGE_LAB_LISTENER", "[::]:2600")
    assert load_edge_settings(tmp_path).lab_listener_address == ("::", 2600)
    monkeypatch.setenv("LABRED_EDGE_LAB_LISTENER", "")
    assert load_edge_settings(tmp_path).lab_listener is None  # empty: not set


@pytest.mark.parametrize("bad", ["2575", "0.0.0.0:", "0.0.0.0:70000", ":2575", "host:puerto"])
def test_a_bad_lab_listener_is_one_spanish_sentence(tmp_path: Path, bad: str) -> None:
    (tmp_path / "edge.toml").write_text(f'lab_listener = "{bad}"\n')
    with pytest.raises(ConfigError) as err:
        load_edge_settings(tmp_path)
    message = str(err.value)
    assert "'lab_listener'" in message and "edge.toml" in message and bad in message


def _exchange(port: int, payload: bytes, timeout: float = 10) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        data = b""
        while END_BLOCK not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode()


def _wait_listening(
    port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing listens on {port} after {timeout} s:\n{log.read_text()[-2000:]}")


@pytest.mark.slow
def test_edge_worker_with_the_edge_toml_key_acknowledges_an_oru(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", "clave-de-prueba-123", demo_catalog=False)
    port = free_port()
    with (data / "edge.toml").open("a") as fh:
        fh.write(f'\nlab_listener = "127.0.0.1:{port}"\n')
    log = tmp_path / "worker.log"
    proc = labred("edge", "worker", "--data-dir", str(data), log=log)
    try:
        _wait_listening(port, proc, log)
        oru = (
            "MSH|^~\\&|LAB|LAB|LABRED|S01|20261130||ORU^R01|ORU-REAL-1|P|2.5.1\r"
            "OBR|1|S01-20990101-0001-1^LABRED||GLU^Glucosa^L\r"
            "OBX|1|NM|GLU^Glucosa^L|1|99|mg/dL|70-99|N|||F"
        )
        ack = parse_ack(_exchange(port, frame(oru)))
    finally:
        assert terminate(proc) == 0, log.read_text()[-2000:]
    # answered by the node's own handler: an order it does not know is an application error
    assert (ack.code, ack.control_id) == ("AE", "ORU-REAL-1")
    with sqlite3.connect(data / "edge.sqlite3") as db:
        logged = db.execute("SELECT ack_code FROM lab_inbound_log").fetchall()
    assert logged == [("AE",)]
