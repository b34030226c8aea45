"""The replication proof: a seeded simulation of the hub and 6 edges under faults.

Each example prints its seed; replay one with ``LABRED_SIM_SEED=<seed> pytest -k simulation``.
A longer sweep: ``LABRED_SIM_EXAMPLES=200 pytest tests/sync/test_simulation.py``.
The planted-bug tests check that the simulation catches each bug within a bounded number of
seeds (the tests are tested).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import central.sync.faults as faults
import sync.client as sync_client
from tests.sync.sim import Faults, InvariantError, Simulation

EXAMPLES = int(os.environ.get("LABRED_SIM_EXAMPLES", "3"))
FIXED_SEED = os.environ.get("LABRED_SIM_SEED")


def _run(
    seed_: int,
    pg_base_url: str,
    hub_template: str,
    edge_template: Path,
    tmp_path: Path,
    **kwargs: object,
) -> dict[str, object]:
    workdir = tmp_path / f"sim-{seed_}-{uuid.uuid4().hex[:6]}"
    print(f"simulation seed={seed_}")
    with Simulation(
        seed=seed_,
        pg_base_url=pg_base_url,
        hub_template=hub_template,
        edge_template=edge_template,
        workdir=workdir,
        **kwargs,  # type: ignore[arg-type]
    ) as sim:
        return sim.run()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed_=st.integers(min_value=0, max_value=2**31 - 1))
def test_simulation_invariants_hold(
    seed_: int, pg_base_url: str, hub_template: str, edge_template: Path, tmp_path: Path
) -> None:
    if FIXED_SEED is not None:
        seed_ = int(FIXED_SEED)
    summary = _run(seed_, pg_base_url, hub_template, edge_template, tmp_path, steps=100)
    records = summary["records"]
    assert isinstance(records, int) and records > 0
    print(summary)


def test_simulation_is_reproducible(
    pg_base_url: str, hub_template: str, edge_template: Path, tmp_path: Path
) -> None:
    a = _run(7, pg_base_url, hub_template, edge_template, tmp_path / "a", edges=2, steps=30)
    b = _run(7, pg_base_url, hub_template, edge_template, tmp_path / "b", edges=2, steps=30)
    assert a["net"] == b["net"] and a["records"] == b["records"]


def _plant_ack_before_commit() -> None:
    faults.planted.add("ack_before_commit")


def _plant_skip_inbox() -> None:
    faults.planted.add("skip_inbox_check")


def _plant_pull_by_timestamp() -> None:
    faults.planted.add("pull_by_timestamp")


def _plant_split_tx() -> None:
    sync_client.PLANTED_SPLIT_TX = True


PLANTED: dict[str, tuple[Callable[[], None], dict[str, object]]] = {
    "ack_before_commit": (
        _plant_ack_before_commit,
        {"faults_": Faults(hub_crash=0.3, crash_points=("hub.before_commit",)), "steps": 80},
    ),
    "skip_inbox_check": (_plant_skip_inbox, {"faults_": Faults(stash=0.3), "steps": 100}),
    "split_tx": (_plant_split_tx, {"batch_rows": 3, "steps": 60}),
    "pull_by_timestamp": (
        _plant_pull_by_timestamp,
        {"page_limit": 2, "steps": 60, "hub_write_rate": 0.25},
    ),
}
MAX_SEEDS = 5


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_is_caught(
    bug: str, pg_base_url: str, hub_template: str, edge_template: Path, tmp_path: Path
) -> None:
    plant, kwargs = PLANTED[bug]
    for seed_ in range(MAX_SEEDS):
        try:
            plant()
            _run(
                1000 + seed_, pg_base_url, hub_template, edge_template, tmp_path, edges=3, **kwargs
            )
        except InvariantError as exc:
            print(f"planted bug {bug} caught at seed {1000 + seed_}: {exc}")
            return
        finally:
            faults.planted.clear()
            sync_client.PLANTED_SPLIT_TX = False
    pytest.fail(f"planted bug {bug} not caught within {MAX_SEEDS} seeds")


_ = seed
