"""Across real processes, on a real full disk: ``labred edge serve`` and ``labred edge worker``
with their data directory on an 8 MB tmpfs, filled to the last byte with a ballast file.

While full: every sale answers 201 or 507 ``disk_full`` (never a 500), the reads of what was
sold go on, ``/health`` says ``lleno``, the worker keeps running and logs the condition once
per job. Once the ballast is deleted, without a restart: sales work again, the order numbers
have no gap (a refused sale left nothing behind), every sale answered 201 is there with its
signed XML on disk (the ones the full disk refused are written by the worker's sweep), and
nothing the worker had queued was dropped or marked failed.

Needs ``mount -t tmpfs`` (root or CAP_SYS_ADMIN, as on the CI machine); skips saying so
otherwise.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from tests.procs import (
    free_port,
    init_edge,
    labred,
    open_cash_and_register,
    running,
    terminate,
    until,
)

pytestmark = pytest.mark.slow

PASSWORD = "clave-del-disco-2026"
DISK_FULL_MSG = (
    "El disco del equipo de la sede está lleno: no se guardó la venta. Avise al técnico."
)
FINAL_FAILURE = {"rechazado", "anulado", "baja"}


@contextmanager
def small_disk(path: Path, size_mb: int = 8) -> Iterator[Path]:
    """A tmpfs of ``size_mb`` mounted on ``path`` until the block ends (skips if refused)."""
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        refused = done.stderr.strip() or done.returncode
        pytest.skip(reason=f"mounting a small tmpfs (a real full disk) was refused: {refused}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(disk: Path) -> Path:
    """A ballast file taking every free byte of ``disk``."""
    ballast = disk / "ballast.bin"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return ballast


def _sale(patient_id: str) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "items": [catalog_id_for("service", "HEM-001")],
        "document_type": "03",
        "payments": [{"method": "efectivo", "amount": "35.00"}],
    }


def _lines(log: Path, needle: str) -> list[dict[str, Any]]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if needle in line and line.startswith("{"):
            out.append(json.loads(line))
    return out


def test_a_full_disk_refuses_sales_cleanly_and_everything_recovers(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        data = init_edge(disk / "edge", PASSWORD)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        config = {
            "port": port,
            "rate_limit_per_minute": 100000,
            "sunat_url": f"http://127.0.0.1:{free_port()}/billService",  # nobody answers
            "disk_low_mb": 3,
            "disk_full_mb": 1,
        }
        (data / "edge.toml").write_text(
            "".join(f"{k} = {json.dumps(v)}\n" for k, v in config.items())
        )
        edge_log, worker_log = tmp_path / "edge.log", tmp_path / "worker.log"
        with (
            running("edge", "serve", "--data-dir", str(data), "--port", str(port),
                    ready_url=f"{url}/ready", log=edge_log),
            running("edge", "worker", "--data-dir", str(data),
                    ready_url=f"{url}/ready", log=worker_log) as worker,
            httpx.Client(base_url=url, timeout=30) as http,
        ):  # fmt: skip
            r = http.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            assert r.status_code == 200, r.text
            http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            patient = {"doc_type": "1", "doc_number": "45678912", "first_names": "ANA MARÍA",
                       "last_names": "PÉREZ QUISPE"}  # fmt: skip
            patient_id = open_cash_and_register(http, patient, opening_float="100.00")
            first = http.post("/api/orders", json=_sale(patient_id))
            assert first.status_code == 201, first.text
            assert http.get("/health").json()["disk"] == "ok"
            sold = [first.json()]

            until("the worker's first round", lambda: _lines(worker_log, '"worker started"'))
            ballast = fill(disk)
            refused = 0
            for _ in range(80):  # the WAL takes a few more sales; then SQLite has no room
                r = http.post("/api/orders", json=_sale(patient_id))
                assert r.status_code in (201, 507), r.text  # never a 500
                if r.status_code == 201:
                    sold.append(r.json())
                    continue
                assert r.json()["detail"] == [
                    {"type": "disk_full", "msg": DISK_FULL_MSG, "loc": []}
                ]
                refused += 1
                if refused == 5:
                    break
            assert refused == 5, "the full disk never refused a sale"
            # reads go on: finding the patient, the order, its documents and the ticket
            for _ in range(2):
                found = http.get("/api/patients/search", params={"q": "PÉREZ"})
                assert found.status_code == 200 and found.json()["items"], found.text
                assert http.get(f"/api/patients/{patient_id}").status_code == 200
            assert http.get(f"/api/orders/{first.json()['id']}").status_code == 200
            docs = http.get(f"/api/billing/by-order/{first.json()['id']}")
            assert docs.status_code == 200, docs.text
            pdf = http.get(f"/api/billing/{docs.json()['items'][0]['id']}/pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
            health = http.get("/health").json()
            assert (health["status"], health["disk"], health["disk_free_mb"]) == ("ok", "lleno", 0)
            assert http.get("/api/web/status").json()["disk"] == "lleno"
            # a worker restarted on the full disk (systemd after a crash, a reboot) comes up
            terminate(worker)
            restarted_log = tmp_path / "worker-restarted.log"
            worker = labred("edge", "worker", "--data-dir", str(data), log=restarted_log)
            try:
                _on_full_disk(http, worker, restarted_log, data, ballast, patient_id, sold)
            finally:
                terminate(worker)
        assert not _lines(edge_log, '"internal"'), "the API answered a 500"
        # the 4 look-ups on the full disk and the one after it are all in the access log
        with sqlite3.connect(data / "edge.sqlite3") as db:
            (looked,) = db.execute(
                "SELECT count(*) FROM access_log WHERE action IN ('search', 'view')"
            ).fetchone()
        assert looked == 5


def _on_full_disk(
    http: httpx.Client,
    worker: subprocess.Popen[bytes],
    worker_log: Path,
    data: Path,
    ballast: Path,
    patient_id: str,
    sold: list[dict[str, Any]],
) -> None:
    time.sleep(6)  # three rounds of sunat.send, six of lab.send, ...
    assert worker.poll() is None, "the worker died on the full disk"
    assert _lines(worker_log, '"worker started"'), worker_log.read_text()[-2000:]
    full_lines = _lines(worker_log, '"disk_condition": "full"')
    keys = [line["key"] for line in full_lines]
    assert len(keys) == len(set(keys)), keys  # once per job, not once per round
    assert not _lines(worker_log, '"job failed"'), "a disk-full round logged a traceback"

    ballast.unlink()
    until("/health to see the space", lambda: http.get("/health").json()["disk"] == "ok")
    after = http.post("/api/orders", json=_sale(patient_id))
    assert after.status_code == 201, after.text  # same processes, no restart
    sold.append(after.json())
    found = http.get("/api/patients/search", params={"q": "PÉREZ"})  # takes the waiting rows
    assert found.status_code == 200, found.text
    numbers = [int(s["number"][-4:]) for s in sold]
    assert numbers == list(range(1, len(sold) + 1)), numbers  # no gap, no half sale

    invoices = []
    for sale in sold:
        assert http.get(f"/api/orders/{sale['id']}").status_code == 200
        (inv,) = http.get(f"/api/billing/by-order/{sale['id']}").json()["items"]
        assert inv["state"] not in FINAL_FAILURE, inv
        invoices.append(inv)

    def xml_files_written() -> bool:
        return all((data / inv["xml_path"]).exists() for inv in invoices)

    until("the signed XML files the full disk refused", xml_files_written, timeout=60)
    for inv in invoices:
        xml = http.get(f"/api/billing/{inv['id']}/xml")
        assert xml.status_code == 200 and (data / inv["xml_path"]).read_bytes() == xml.content
    assert worker.poll() is None
