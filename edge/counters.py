"""Bumping a local counter row (order, sample, series numbers) with one driver statement.

A sale takes three numbers — its order number, its samples' barcodes and its document's
correlative — from counter rows inside its own transaction. Loading each row into the ORM and
flushing it back cost more than the rest of what numbering does; an ``UPDATE ... RETURNING``
does the same in one statement, still inside the caller's transaction (so a rolled-back sale
still takes no number).

The statement is run only when the session does not hold that row already (its instance, and
any change the caller made to it, would otherwise be overwritten at the next flush). When it is
held, when the row does not exist yet, or when the statement's own condition refuses (a sealed
day, an exhausted series), :func:`bump` returns None and the caller takes its ORM path, which
creates the row or raises the error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key


def bump(
    session: Session, model: type, pk: tuple[Any, ...], sql: str, params: tuple[Any, ...]
) -> int | None:
    """Run ``sql`` (an ``UPDATE`` of ``model``'s row ``pk`` ``RETURNING`` the new number) unless
    ``session`` holds that row; the number, or None when the caller must take its ORM path."""
    if session.identity_map.get(identity_key(model, pk)) is not None:
        return None
    row = session.connection().exec_driver_sql(sql, params).first()
    return None if row is None else int(row[0])


__all__ = ["bump"]
