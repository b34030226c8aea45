"""The laboratory reference rows every sale reads (its sede's lab setting, the code maps of its
tests) come back the same through the statements built once and the plain settings lookup."""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import select

from domain.ids import new_id
from edge.config.models import Setting
from edge.db import read_session, unit_of_work
from edge.labsync import queue
from edge.labsync.models import LabCodeMap
from edge.runtime import EdgeRuntime
from tests.edge.factories import SEDE_S01
from tests.edge.labsync.helpers import add_lab, service_id


def test_code_maps_of_some_or_all_services_skip_maps_without_a_code(
    edge_runtime: EdgeRuntime,
) -> None:
    lab = add_lab(edge_runtime, codes=("BIO001", "HEM002", "HOR001"))
    other = add_lab(edge_runtime, codes=("BIO005",))
    with unit_of_work(edge_runtime.engine) as session:  # a map with neither code nor LOINC
        session.add(
            LabCodeMap(id=new_id(), lab_system_id=lab.id, service_id="svc-empty", code="", loinc="")
        )
    with read_session(edge_runtime.engine) as session:
        every = queue.code_maps(session, lab.id)
        some = queue.code_maps(
            session, lab.id, [service_id("BIO001"), "svc-empty", service_id("BIO005"), "nope"]
        )
        none = queue.code_maps(session, lab.id, [])
        theirs = queue.code_maps(session, other.id, [service_id("BIO005")])
        again = queue.code_maps(session, lab.id, [service_id("HEM002")])
        assert some[service_id("BIO001")].code == "GLU"
    assert set(every) == {service_id(c) for c in ("BIO001", "HEM002", "HOR001")}
    assert set(some) == {service_id("BIO001")}
    assert none == {}
    assert set(theirs) == {service_id("BIO005")}
    assert set(again) == {service_id("HEM002")}  # the statement is reused with new values


def _pulled_setting(rt: EdgeRuntime, key: str, value: object) -> None:
    """As the pull writes it: a Core insert, the value in the JSON column."""
    with unit_of_work(rt.engine) as session:
        session.connection().execute(
            insert(Setting.__table__).values(id=new_id(), key=key, value=value)  # type: ignore[attr-defined]
        )


def test_the_sedes_lab_setting_reads_as_the_orm_would(edge_runtime: EdgeRuntime) -> None:
    key = queue.SEDE_SETTING_PREFIX + SEDE_S01
    with read_session(edge_runtime.engine) as session:
        assert queue.sede_lab_setting(session, SEDE_S01) is None  # never received
    conf = {"lab_system_id": "lab-1", "listener": {"host": "0.0.0.0", "port": 2575}}
    _pulled_setting(edge_runtime, key, conf)
    _pulled_setting(edge_runtime, queue.SEDE_SETTING_PREFIX + "other-sede", "not a dict")
    with read_session(edge_runtime.engine) as session:
        orm = session.exec(select(Setting).where(Setting.key == key)).one().value
        assert queue.sede_lab_setting(session, SEDE_S01) == orm == conf
        assert queue.sede_lab_setting(session, "other-sede") is None  # not an object
