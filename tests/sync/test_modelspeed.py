"""``sync.modelspeed.fast_table_init`` builds every table instance as SQLModel would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session
from sqlmodel._compat import sqlmodel_table_construct

import central.schema
import edge.schema
from central.base import HubModel
from edge.base import EdgeModel
from edge.billing.models import InvoiceLine
from edge.samples.models import Sample
from sync.modelspeed import fast_table_init

LINE: dict[str, Any] = {
    "invoice_id": "inv-1",
    "sede_id": "s01",
    "position": 1,
    "order_item_id": "item-1",
    "code": "HEM-001",
    "description": "Hemograma completo",
    "quantity": 1,
    "unit_price": Decimal("35.00"),
    "discount": Decimal("0.00"),
    "value": Decimal("29.66"),
    "igv": Decimal("5.34"),
    "total": Decimal("35.00"),
    "business_date": dt.date(2026, 11, 29),
}


def _tables(base: type) -> list[Any]:
    return sorted(
        (m.class_ for m in base._sa_registry.mappers),  # type: ignore[attr-defined]
        key=lambda c: c.__name__,
    )


def _sqlmodel_way(cls: Any, values: dict[str, Any]) -> Any:
    """An instance built by SQLModel's own construction (per-field setattr)."""
    obj = cls.__new__(cls)
    inspect(cls).class_manager._new_state_if_none(obj)
    return sqlmodel_table_construct(self_instance=obj, values=dict(values))


def _fields(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in obj.__dict__.items() if not k.startswith("_sa_")}


@pytest.mark.parametrize("base", [EdgeModel, HubModel], ids=["edge", "hub"])
def test_every_table_gets_the_same_fields_defaults_and_fields_set(base: type) -> None:
    assert edge.schema.MODEL_MODULES and central.schema.MODEL_MODULES  # every model imported
    classes = _tables(base)
    assert len(classes) > 20
    for cls in classes:
        assert inspect(cls).class_manager.original_init is fast_table_init, cls.__name__
        given = {"id": "given-id"} if "id" in cls.model_fields else {}
        fast, slow = cls(**given), _sqlmodel_way(cls, given)
        a, b = _fields(fast), _fields(slow)
        assert a.keys() == b.keys(), cls.__name__
        for name, field in cls.model_fields.items():
            if name not in a:
                continue
            if field.default_factory is None or name in given:
                assert a[name] == b[name], (cls.__name__, name)
            else:  # a factory ran for each (fresh ids, timestamps, lists)
                assert type(a[name]) is type(b[name]), (cls.__name__, name)
        assert fast.__pydantic_fields_set__ == slow.__pydantic_fields_set__, cls.__name__


def test_mutable_defaults_are_not_shared() -> None:
    first, second = Sample(), Sample()  # type: ignore[call-arg]  # no fields needed here
    assert first.item_ids == [] and first.item_ids is not second.item_ids
    first.item_ids.append("x")
    assert second.item_ids == []
    assert first.id != second.id


def test_a_fast_built_row_is_inserted_and_read_back_whole(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    InvoiceLine.__table__.create(engine)  # type: ignore[attr-defined]
    line = InvoiceLine(**LINE)
    assert inspect(line).transient
    with Session(engine) as session:
        session.add(line)
        session.commit()
        line_id = line.id
    with Session(engine) as session:
        back = session.get(InvoiceLine, line_id)
        assert back is not None
        assert _fields(back) == {**_fields(line), "id": line_id}
    with Session(engine) as session:  # a later change is tracked as usual (events fire)
        loaded = session.get(InvoiceLine, line_id)
        assert loaded is not None
        loaded.description = "Hemograma"
        assert session.is_modified(loaded)
        session.commit()
    with Session(engine) as session:
        again = session.get(InvoiceLine, line_id)
        assert again is not None and again.description == "Hemograma"


def test_model_validate_still_builds_through_pydantic() -> None:
    item = InvoiceLine.model_validate({**LINE, "position": "2"})
    assert item.position == 2  # validated: the string became an int
    assert "position" in item.__pydantic_fields_set__
    with pytest.raises(ValueError):
        InvoiceLine.model_validate({"invoice_id": "i"})
