"""Construction cost of SQLModel table instances.

Every table instance built without a value for a field that has a ``default_factory`` (ids,
timestamps, JSON lists) makes pydantic ask whether the factory takes the validated data, and
pydantic answers by running ``inspect.signature`` on the factory, every time. On the sale path
that was a tenth of the CPU of a sale (an ``Invoice`` took 0.22 ms to build, 0.10 ms with the
answer remembered). A function's signature does not change, so the answer is cached per
factory; the factory itself is still called for every instance.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic._internal import _fields
from sqlmodel._compat import finish_init, sqlmodel_init


def cache_factory_signatures() -> None:
    """Remember, per default factory, whether it takes the validated data. Idempotent."""
    check = getattr(_fields, "takes_validated_data_argument", None)
    if check is None or hasattr(check, "cache_info"):
        return  # another pydantic, or already done
    _fields.takes_validated_data_argument = functools.cache(check)  # type: ignore[assignment]


# ----------------------------------------------------------------------------- construction
#
# Building a table instance the SQLModel way sets each field through ``setattr``: SQLModel's
# ``__setattr__`` fires SQLAlchemy's attribute event (history for an object no session knows
# yet) and then pydantic's ``__setattr__`` stores the same value again. For a new instance
# that is two dispatches per column and most of the cost of building a row (a sale builds a
# dozen). :func:`fast_table_init` writes the values straight into the instance dict, as
# SQLModel's ``sqlmodel_table_construct`` would leave it: the given fields, then the defaults
# (factories called), ``__pydantic_fields_set__`` the given names. SQLAlchemy inserts a new
# object from that dict. Classes it cannot mirror exactly (relationships, extra fields,
# private attributes or post-init hooks) keep SQLModel's own path.

_Plan = tuple[tuple[str, str | None, bool, Any], ...]
_plans: dict[type, _Plan | None] = {}


def _plan_for(cls: type) -> _Plan | None:
    plan = _plans.get(cls, False)
    if plan is not False:
        return plan  # type: ignore[return-value]
    simple = (
        not getattr(cls, "__sqlmodel_relationships__", None)
        and cls.model_config.get("extra") != "allow"  # type: ignore[attr-defined]
        and not cls.__pydantic_post_init__  # type: ignore[attr-defined]
        and not cls.__pydantic_root_model__  # type: ignore[attr-defined]
    )
    built: _Plan | None = None
    if simple:
        built = tuple(
            (name, field.alias, field.is_required(), field)
            for name, field in cls.model_fields.items()  # type: ignore[attr-defined]
        )
    _plans[cls] = built
    return built


def fast_table_init(self: Any, **data: Any) -> None:
    """``__init__`` of a table model: SQLModel's construction without per-field events."""
    if not finish_init.get():
        return  # model_validate() fills the instance itself
    plan = _plan_for(type(self))
    if plan is None:
        sqlmodel_init(self=self, data=data)
        return
    values = self.__dict__  # already holds SQLAlchemy's instance state
    given: set[str] = set()
    for name, alias, required, field in plan:
        if alias is not None and alias in data:
            values[name] = data[alias]
            given.add(name)
        elif name in data:
            values[name] = data[name]
            given.add(name)
        elif not required:
            values[name] = field.get_default(call_default_factory=True)
    object.__setattr__(self, "__pydantic_fields_set__", given)
    object.__setattr__(self, "__pydantic_extra__", None)
    object.__setattr__(self, "__pydantic_private__", None)
