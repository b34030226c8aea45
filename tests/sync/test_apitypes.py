from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from sync.apitypes import Money, SignedMoney


class M(BaseModel):
    amount: Money
    delta: SignedMoney = Decimal("0")


def test_money_parses_strings_and_serialises_as_string() -> None:
    m = M(amount="12.5", delta="-3.10")  # type: ignore[arg-type]
    assert m.amount == Decimal("12.50")
    assert m.model_dump(mode="json") == {"amount": "12.50", "delta": "-3.10"}


@pytest.mark.parametrize("bad", [1.1, "abc", "-1.00", "1.234"])
def test_money_refuses_floats_negatives_and_precision(bad: object) -> None:
    with pytest.raises(ValidationError):
        M(amount=bad)  # type: ignore[arg-type]
