"""Small read-only lists the reception's supervisor pages need to build their filters."""

from __future__ import annotations

from sqlmodel import Session, col, select

from edge.auth.models import User


def users(session: Session) -> list[User]:
    """The node's users (active or not: the audit keeps what they did), by username."""
    return list(session.exec(select(User).order_by(col(User.username))))
