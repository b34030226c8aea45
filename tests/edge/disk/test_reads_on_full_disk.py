"""Looking a patient up on a full disk: the search and the patient view write an access-log
row; when only that commit fails for lack of space the answer still goes out and the rows wait
in the process (``edge.access_deferral``) until the next look-up commits them, with their
original time. Before: 507 (500 before that), the receptionist could not find the patient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from edge import access_deferral
from edge.audit.models import AccessLog
from edge.db import read_session
from edge.runtime import EdgeRuntime
from tests.edge.disk.helpers import commits_fail
from tests.edge.orders.helpers import count_rows, make_patient, seller


@pytest.fixture(autouse=True)
def fresh_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[access_deferral.DeferredAccessLog]:
    queue = access_deferral.DeferredAccessLog()
    monkeypatch.setattr(access_deferral, "DEFERRED", queue)
    yield queue


def _stored(rt: EdgeRuntime) -> set[tuple[str, str, dt.datetime]]:
    with read_session(rt.engine) as session:
        return {(r.id, r.action, r.created_at) for r in session.exec(select(AccessLog))}


def test_search_and_view_answer_on_a_full_disk_and_their_access_log_follows(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    fresh_queue: access_deferral.DeferredAccessLog,
) -> None:
    rt = edge_runtime
    _, headers = seller(rt, cash=False)
    patient = make_patient(rt, last_names="QUISPE HUAMÁN")
    before = count_rows(rt, "access_log")
    with commits_fail():
        found = edge_client.get("/api/patients/search", params={"q": "QUISPE"}, headers=headers)
        assert found.status_code == 200, found.text
        assert [p["id"] for p in found.json()["items"]] == [patient.id]
        seen = edge_client.get(f"/api/patients/{patient.id}", headers=headers)
        assert seen.status_code == 200 and seen.json()["id"] == patient.id
        assert count_rows(rt, "access_log") == before and len(fresh_queue) == 2
        # a real write in the meantime is still refused, never half-saved
        body = {"doc_type": "1", "doc_number": "41234570", "first_names": "A", "last_names": "B"}
        assert edge_client.post("/api/patients", json=body, headers=headers).status_code == 507
    waiting = fresh_queue.take()
    fresh_queue.put(waiting, logged=True)  # a look at the queue, put back as it was
    # room again: the next look-up commits the waiting rows (same ids and times) with its own
    assert edge_client.get(f"/api/patients/{patient.id}", headers=headers).status_code == 200
    assert len(fresh_queue) == 0
    assert count_rows(rt, "access_log") == before + 3
    stored = _stored(rt)
    assert {(w["id"], w["action"], w["created_at"]) for w in waiting} <= stored
    assert {action for _, action, _ in stored} == {"search", "view"}


def test_a_missing_patient_is_still_404_and_waiting_rows_are_kept(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    fresh_queue: access_deferral.DeferredAccessLog,
) -> None:
    rt = edge_runtime
    _, headers = seller(rt, cash=False)
    patient = make_patient(rt)
    with commits_fail():
        assert edge_client.get(f"/api/patients/{patient.id}", headers=headers).status_code == 200
    assert len(fresh_queue) == 1
    r = edge_client.get("/api/patients/0190d2b4-0000-7000-8000-00000000dead", headers=headers)
    assert r.status_code == 404  # its rollback does not lose the waiting row
    assert len(fresh_queue) == 1


def test_other_commit_errors_are_not_swallowed(
    edge_client: TestClient,
    edge_runtime: EdgeRuntime,
    fresh_queue: access_deferral.DeferredAccessLog,
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    patient = make_patient(edge_runtime)
    with commits_fail("database is locked"):
        r = edge_client.get(f"/api/patients/{patient.id}", headers=headers)
    assert r.status_code == 500 and len(fresh_queue) == 0
