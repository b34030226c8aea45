"""The change history of the configuration (who, when, old -> new): the actor of a change,
recording each changed field, and reading the history back.

Config (company, sedes, settings) and the lab systems record their changes here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from central.auth.tokens import Principal
from central.config.models import ConfigChange
from domain.clock import Clock


def given(data: BaseModel) -> dict[str, Any]:
    """The fields the client sent, as Python values (Money stays Decimal)."""
    return {name: getattr(data, name) for name in data.model_fields_set}


@dataclass(frozen=True)
class Actor:
    """Who makes a change and from where (for the history and the audit)."""

    principal: Principal | None
    ip: str | None = None

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id if self.principal else None

    @property
    def username(self) -> str | None:
        return self.principal.username if self.principal else "sistema"


def track(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    entity: str,
    entity_id: str,
    field: str,
    old: Any,
    new: Any,
) -> None:
    session.add(
        ConfigChange(
            entity=entity,
            entity_id=entity_id,
            field=field,
            old_value=old,
            new_value=new,
            changed_by=actor.user_id,
            changed_by_username=actor.username,
            changed_at=clock.now(),
            ip=actor.ip,
        )
    )


def apply_changes(
    session: Session,
    obj: Any,
    changes: dict[str, Any],
    *,
    clock: Clock,
    actor: Actor,
    entity: str,
    entity_id: str,
    shown: Callable[[str, Any], Any] = lambda _name, value: value,
) -> list[str]:
    """Set the changed attributes of ``obj``, recording each one in the change history as
    ``shown(name, value)`` (secrets are masked by the caller's rule); returns the changed names."""
    changed: list[str] = []
    for name, value in changes.items():
        old = getattr(obj, name)
        if old == value:
            continue
        setattr(obj, name, value)
        track(
            session,
            clock=clock,
            actor=actor,
            entity=entity,
            entity_id=entity_id,
            field=name,
            old=shown(name, old),
            new=shown(name, value),
        )
        changed.append(name)
    return changed


#: What ``/api/config/history`` lists; the lab systems' rows have their own history.
CONFIG_ENTITIES = ("company", "sede", "setting")


def history(
    *,
    session: Session,
    entities: Sequence[str] | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ConfigChange], int]:
    """A page of the change history, newest first, and how many rows match: of ``entities``
    only when given (the lab systems' history), then of ``entity`` / ``entity_id``."""
    query = select(ConfigChange)
    if entities is not None:
        query = query.where(col(ConfigChange.entity).in_(entities))
    if entity:
        query = query.where(ConfigChange.entity == entity)
    if entity_id:
        query = query.where(ConfigChange.entity_id == entity_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(ConfigChange.changed_at).desc(), col(ConfigChange.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)
