"""The SQL an edge engine runs inside a block, for tests that count or inspect statements."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


def _collapsed(statement: str) -> str:
    return re.sub(r"\s+", " ", statement)


@contextmanager
def _listening(engine: Engine, record: Callable[..., None]) -> Iterator[None]:
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def executed(engine: Engine) -> Iterator[list[str]]:
    """Every statement ``engine`` sends to SQLite inside the block, whitespace collapsed."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(_collapsed(statement))

    with _listening(engine, record):
        yield seen


@contextmanager
def executed_with_params(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement ``engine`` sends to SQLite inside the block (whitespace collapsed), with
    the parameters it was sent with."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((_collapsed(statement), parameters))

    with _listening(engine, record):
        yield seen
