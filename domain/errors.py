"""The error tree every layer raises and every app renders in one shape.

    LabError                      base: stable ``code``, Spanish ``msg``, optional ``loc``
    ├── InvalidInput   (422)      a value is malformed (bad RUC, negative amount, ...)
    ├── RuleViolation  (422)      a well-formed request breaks a business rule
    ├── NotFound       (404)
    ├── Conflict       (409)      duplicates, stale versions, already-done actions
    ├── Unauthorized   (401)      missing, expired or revoked credentials
    ├── Forbidden      (403)      authenticated but not allowed
    ├── TooManyRequests (429)     throttling; carries ``retry_after`` seconds
    └── Unavailable    (503)      an external system or a dependency is down

Apps render any of them as FastAPI's own error shape::

    {"detail": [{"type": code, "msg": msg, "loc": [...]}]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class LabError(Exception):
    """Base of every expected error. ``code`` is English and stable; ``msg`` is Spanish."""

    status: int = 400
    default_code: str = "error"

    def __init__(
        self,
        msg: str,
        *,
        code: str | None = None,
        loc: Sequence[str | int] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code or self.default_code
        self.loc: list[str | int] = list(loc) if loc else []
        self.extra: dict[str, Any] = dict(extra or {})

    def detail(self) -> list[dict[str, Any]]:
        """The FastAPI-shaped ``detail`` list for this error."""
        item: dict[str, Any] = {"type": self.code, "msg": self.msg, "loc": self.loc}
        if self.extra:
            item["ctx"] = self.extra
        return [item]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, msg={self.msg!r}, loc={self.loc!r})"


class InvalidInput(LabError, ValueError):
    status = 422
    default_code = "invalid_input"


class RuleViolation(LabError):
    status = 422
    default_code = "rule_violation"


class NotFound(LabError):
    status = 404
    default_code = "not_found"


class Conflict(LabError):
    status = 409
    default_code = "conflict"


class Unauthorized(LabError):
    status = 401
    default_code = "unauthorized"


class Forbidden(LabError):
    status = 403
    default_code = "forbidden"


class TooManyRequests(LabError):
    status = 429
    default_code = "too_many_requests"

    def __init__(self, msg: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(msg, code=code, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class Unavailable(LabError):
    status = 503
    default_code = "unavailable"


__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "LabError",
    "NotFound",
    "RuleViolation",
    "TooManyRequests",
    "Unauthorized",
    "Unavailable",
]
