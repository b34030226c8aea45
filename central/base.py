"""Declarative base of every hub table (its own registry, apart from the edge's)."""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from sync.modelspeed import cache_factory_signatures, fast_table_init

cache_factory_signatures()

hub_registry = registry()


class HubModel(SQLModel, registry=hub_registry):
    """Base class of hub tables."""

    __init__ = fast_table_init  # see sync.modelspeed: a new row without per-field events
