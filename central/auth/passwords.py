"""Password hashing with argon2id (the same format the edges verify offline)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import InvalidInput

_hasher = PasswordHasher()
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_strength(password: str, *, field: str = "password") -> None:
    """Refuse passwords that are too short or blank."""
    if len(password.strip()) < MIN_LENGTH:
        raise InvalidInput(
            f"La contraseña debe tener al menos {MIN_LENGTH} caracteres.",
            code="password_too_short",
            loc=["body", field],
        )
