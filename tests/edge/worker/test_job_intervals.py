"""``job_intervals``: a technician sets how often the edge worker's jobs run (edge.toml inline
table or ``LABRED_EDGE_JOB_INTERVALS`` as JSON); a bad value is one Spanish sentence naming the
key, where it came from and what it must be; the worker runs each job at its effective interval
and says them all when it starts."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import tomllib
from pathlib import Path

import pytest

from edge import worker
from edge.runtime import EdgeRuntime
from edge.settings import EDGE_JOBS, job_intervals_toml, load_edge_settings
from sync.config import ConfigError

VAR = "LABRED_EDGE_JOB_INTERVALS"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _no_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VAR, raising=False)


def test_the_setting_is_read_from_edge_toml_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_edge_settings(tmp_path).job_intervals == {}
    toml = job_intervals_toml({"sync.pull": 1, "sunat.summaries": 2.5})
    assert toml == 'job_intervals = { "sync.pull" = 1, "sunat.summaries" = 2.5 }'
    (tmp_path / "edge.toml").write_text(f"port = 8101\n{toml}\n")
    assert load_edge_settings(tmp_path).job_intervals == {"sync.pull": 1.0, "sunat.summaries": 2.5}
    monkeypatch.setenv(VAR, '{"sync.pull": 30}')  # the environment wins, whole
    assert load_edge_settings(tmp_path).job_intervals == {"sync.pull": 30.0}
    monkeypatch.setenv(VAR, " ")  # empty: no override at all
    assert load_edge_settings(tmp_path).job_intervals == {}


@pytest.mark.parametrize(
    ("source", "pattern"),
    [
        ("README.md", r"^(job_intervals = \{.*?\})"),
        ("installers/install-edge.sh", r"^# (job_intervals = \{.*?\})$"),
    ],
)
def test_the_documented_examples_load(tmp_path: Path, source: str, pattern: str) -> None:
    """The README's example edge.toml line and the installer's commented one, uncommented."""
    found = re.search(pattern, (REPO / source).read_text(), re.M)
    assert found is not None, f"no job_intervals example in {source}"
    (tmp_path / "edge.toml").write_text(found.group(1) + "\n")
    expected = tomllib.loads(found.group(1))["job_intervals"]
    assert expected and load_edge_settings(tmp_path).job_intervals == expected


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('job_intervals = { "sync.pul" = 1 }', "el trabajo 'sync.pul' no existe"),
        ('job_intervals = { "sync.pull" = 0.1 }', "debe estar entre 0.2 y 86400 segundos"),
        ('job_intervals = { "housekeeping" = 86401 }', "debe estar entre 0.2 y 86400 segundos"),
        ('job_intervals = { "sunat.send" = nan }', "debe estar entre 0.2 y 86400 segundos"),
        ('job_intervals = { "sync.pull" = "rápido" }', "'job_intervals.sync.pull' en "),
        ("job_intervals = 5", "debe ser una tabla de claves y valores"),
    ],
)
def test_a_bad_value_in_edge_toml_is_one_spanish_sentence(
    tmp_path: Path, toml: str, says: str
) -> None:
    (tmp_path / "edge.toml").write_text(toml + "\n")
    with pytest.raises(ConfigError) as err:
        load_edge_settings(tmp_path)
    message = str(err.value)
    assert message.startswith("ajuste inválido 'job_intervals")
    assert str(tmp_path / "edge.toml") in message and says in message
    assert "se recibió" in message


def test_an_unknown_job_lists_the_valid_ones(tmp_path: Path) -> None:
    (tmp_path / "edge.toml").write_text('job_intervals = { "sync" = 1 }\n')
    with pytest.raises(ConfigError) as err:
        load_edge_settings(tmp_path)
    assert all(name in str(err.value) for name in EDGE_JOBS)


def test_a_bad_environment_variable_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VAR, "sync.pull=1")
    with pytest.raises(ConfigError) as err:
        load_edge_settings(tmp_path)
    message = str(err.value)
    assert f"la variable {VAR}" in message and "debe ser un objeto JSON" in message
    monkeypatch.setenv(VAR, '{"sunat.summaries": 0}')
    with pytest.raises(ConfigError, match=f"la variable {VAR}: el intervalo de 'sunat.summaries'"):
        load_edge_settings(tmp_path)


def test_every_registered_job_is_a_valid_key_and_no_other_name_registers() -> None:
    assert sorted(worker.registered_jobs()) == sorted(EDGE_JOBS)
    with pytest.raises(ValueError, match="EDGE_JOBS"):
        worker.job("sync.pul", seconds=1)


def test_the_worker_runs_each_job_at_its_effective_interval_and_says_them(
    edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Two real jobs' names with counting bodies: ``sync.pull`` told 0.2 s runs every 0.2 s,
    ``sunat.send`` (not named) keeps its own 60 s: one round, the first, in the same time."""
    rounds: dict[str, int] = {"sync.pull": 0, "sunat.send": 0}

    def counting(name: str) -> worker.JobFn:
        def body(_rt: EdgeRuntime) -> None:
            rounds[name] += 1

        return body

    jobs = {name: worker.JobSpec(name, counting(name), 60.0) for name in rounds}
    monkeypatch.setattr(worker, "registered_jobs", lambda: dict(jobs))
    monkeypatch.setattr(edge_runtime.settings, "job_intervals", {"sync.pull": 0.2})
    assert worker.effective_intervals(edge_runtime) == {"sunat.send": 60.0, "sync.pull": 0.2}

    stop = threading.Event()
    thread = threading.Thread(target=worker.run_worker, args=(edge_runtime,), kwargs={"stop": stop})
    with caplog.at_level(logging.INFO, logger="labred.edge.worker"):
        thread.start()
        time.sleep(1.5)
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert rounds["sunat.send"] == 1  # the first round right away, the next in 60 s
    assert 4 <= rounds["sync.pull"] <= 10  # ~1.5 s / 0.2 s (and the first at once)
    (started,) = [r for r in caplog.records if r.getMessage() == "worker started"]
    assert started.__dict__["jobs"] == {"sunat.send": 60.0, "sync.pull": 0.2}
    assert started.__dict__["overridden"] == ["sync.pull"]


def test_without_the_setting_each_job_keeps_its_own(edge_runtime: EdgeRuntime) -> None:
    intervals = worker.effective_intervals(edge_runtime)
    assert intervals == {name: spec.seconds for name, spec in worker.registered_jobs().items()}
    assert (intervals["sync.pull"], intervals["sunat.summaries"]) == (5.0, 15.0)


def test_the_tests_edge_workers_run_at_the_demos_short_intervals_unless_told(
    tmp_path: Path,
) -> None:
    """tests/procs.py starts every ``labred edge worker`` at the demo's short intervals, except
    one whose test sets ``job_intervals`` itself (its edge.toml, or the environment)."""
    from labred.demo.orchestrator import SEDE_JOB_INTERVALS
    from tests.procs import short_job_intervals

    worker_args = ("edge", "worker", "--data-dir", str(tmp_path))
    short = short_job_intervals(worker_args, {"X": "1"})
    assert short["X"] == "1" and json.loads(short[VAR]) == SEDE_JOB_INTERVALS
    assert short_job_intervals(("edge", "serve", "--data-dir", str(tmp_path)), None) == {}
    assert short_job_intervals(worker_args, {VAR: '{"sync.pull": 9}'}) == {VAR: '{"sync.pull": 9}'}
    (tmp_path / "edge.toml").write_text(job_intervals_toml({"sync.pull": 9}) + "\n")
    assert short_job_intervals(worker_args, None) == {}
