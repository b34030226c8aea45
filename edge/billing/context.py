"""Which settings apply to a session: the order hooks only hand billing a session.

The API and the worker ``bind`` their runtime; a session on an engine nobody bound (a hook
fired before any billing request) falls back to the settings of the database's directory
(``edge.toml`` + environment), which is how ``labred edge serve`` loads them by default.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from edge.runtime import EdgeRuntime
from edge.settings import EdgeSettings, load_edge_settings

_lock = threading.Lock()
_bound: weakref.WeakKeyDictionary[Engine, EdgeSettings] = weakref.WeakKeyDictionary()


def bind(rt: EdgeRuntime) -> None:
    """Remember the settings of ``rt``'s engine (idempotent, cheap)."""
    if _bound.get(rt.engine) is not rt.settings:
        with _lock:
            _bound[rt.engine] = rt.settings


def settings_for(session: Session) -> EdgeSettings:
    engine = session.get_bind()
    if isinstance(engine, Engine):
        found = _bound.get(engine)
        if found is not None:
            return found
        database = engine.url.database
        if database:
            settings = load_edge_settings(Path(database).parent)
            with _lock:
                _bound[engine] = settings
            return settings
    raise RuntimeError("billing: no settings bound to this session's engine")


__all__ = ["bind", "settings_for"]
