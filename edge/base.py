"""Declarative base of every edge table (its own registry: the hub's tables live apart)."""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from sync.modelspeed import cache_factory_signatures, fast_table_init

cache_factory_signatures()

edge_registry = registry()


class EdgeModel(SQLModel, registry=edge_registry):
    """Base class of edge tables. A replicated table also sets ``__sync_type__``."""

    __init__ = fast_table_init  # see sync.modelspeed: a new row without per-field events
