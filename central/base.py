"""Declarative base of every hub table (its own registry, apart from the edge's)."""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from sync.modelspeed import cache_factory_signatures

cache_factory_signatures()

hub_registry = registry()


class HubModel(SQLModel, registry=hub_registry):
    """Base class of hub tables."""
