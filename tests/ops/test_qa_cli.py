"""What a technician met following the README on a fresh machine, as real ``labred`` processes:
a new hub nobody can sign in to, ``edge init`` run twice, a traceback for a short enrolment
code, and commands run as root on the service user's data."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from central.settings import HubSettings
from tests.procs import run_labred

PASSWORD = "Clave-Segura-2026"


def labred_with_stdin(
    *args: str, stdin: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labred", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_a_new_hub_gets_its_first_administrator_from_the_command_line(
    hub_settings: HubSettings, hub_client: TestClient
) -> None:
    def login(username: str, password: str) -> int:
        body = {"username": username, "password": password}
        return hub_client.post("/api/auth/login", json=body).status_code

    assert login("jefa", "Clave-Jefa-2026") == 401  # a fresh hub has nobody
    env = {"LABRED_HUB_DATABASE_URL": str(hub_settings.database_url)}
    args = ("hub", "create-admin", "--data-dir", str(hub_settings.data_dir), "--username", "jefa")

    short = labred_with_stdin(*args, stdin="corta\n", env=env)
    assert short.returncode == 1
    assert short.stderr.startswith("labred: error: ") and "Traceback" not in short.stderr
    assert "contraseña" in short.stderr or "password" in short.stderr

    made = labred_with_stdin(*args, "--full-name", "Jefa de sistemas", stdin="Clave-Jefa-2026\n",
                             env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "administrator 'jefa' created" in made.stdout
    response = hub_client.post(
        "/api/auth/login", json={"username": "jefa", "password": "Clave-Jefa-2026"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "admin"

    again = labred_with_stdin(*args, stdin="Otra-Clave-2026\n", env=env)
    assert again.returncode == 1
    assert "ya existe" in again.stderr
    assert login("jefa", "Clave-Jefa-2026") == 200  # untouched


def test_edge_init_twice_keeps_the_password_and_the_sede(tmp_path: Path) -> None:
    data = str(tmp_path / "edge")
    first = run_labred("edge", "init", "--data-dir", data, "--sede-code", "S01")
    assert first.returncode == 0, first.stderr
    assert "bootstrap admin: admin / " in first.stdout

    second = run_labred("edge", "init", "--data-dir", data, "--sede-code", "S01")
    assert second.returncode == 0, second.stderr
    assert "bootstrap admin: admin / " not in second.stdout  # the old code printed a new one
    assert "already exists (its password is unchanged)" in second.stdout

    other = run_labred("edge", "init", "--data-dir", data, "--sede-code", "S02")
    assert other.returncode == 1
    assert other.stderr.strip() == (
        "labred: error: Este nodo ya es la sede S01; no se cambia a S02 (para otra sede, use "
        "otro directorio de datos)."
    )
    with sqlite3.connect(tmp_path / "edge" / "edge.sqlite3") as db:
        codes = [r[0] for r in db.execute("SELECT code FROM sede")]
        state = db.execute("SELECT s.code FROM sync_state t JOIN sede s ON s.id = t.sede_id")
        assert codes == ["S01"] and state.fetchone()[0] == "S01"


def test_a_short_enrolment_code_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    res = run_labred(
        "edge", "enroll", "--data-dir", str(tmp_path / "edge"), "--hub", "http://127.0.0.1:9",
        "--code", "X",
    )  # fmt: skip
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert res.stderr.strip() == "labred: error: invalid code: String should have at least 6 "\
        "characters"  # fmt: skip


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand a directory to another user")
@pytest.mark.parametrize(
    "command",
    [
        ("backup", "verify"),
        ("restore", "--force"),
        ("edge", "enroll", "--hub", "http://127.0.0.1:9", "--code", "ABCD-EFGH"),
        ("migrate", "hub"),
    ],
)
def test_root_is_sent_to_the_service_user_on_its_data(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 65534, 65534)  # nobody
    args = (*command[:2], "--data-dir", str(data), *command[2:])
    if command[0] in {"backup", "restore", "migrate"}:
        args = (*command, "--data-dir", str(data))
    res = run_labred(*args)
    assert res.returncode == 1
    owner = __import__("pwd").getpwuid(65534).pw_name
    assert f"{data} belongs to user '{owner}'" in res.stderr
    assert f"sudo -u {owner} labred " in res.stderr
    assert sorted(p.name for p in data.iterdir()) == []  # nothing created as root
