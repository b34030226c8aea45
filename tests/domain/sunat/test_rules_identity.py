"""``domain.sunat.rules`` uses ``domain.identity`` directly for customer documents and RUCs."""

from __future__ import annotations

import pytest

from domain import identity
from domain.errors import InvalidInput
from domain.sunat import rules
from domain.sunat.catalogs import IdentityType


@pytest.mark.parametrize(
    "ruc", ["20100070970", "20100070971", "10456789125", "2010007097", "", "20 100070970"]
)
def test_is_valid_ruc_is_the_identity_modules(ruc: str) -> None:
    assert rules.is_valid_ruc(ruc) is identity.is_valid_ruc(ruc)


def test_customer_document_checked_by_identity() -> None:
    rules.check_customer_document(IdentityType.DNI, "45678912")
    with pytest.raises(InvalidInput) as err:
        rules.check_customer_document(IdentityType.DNI, "4567")
    assert err.value.code == "customer_document_invalid" and err.value.loc == ["customer"]
    with pytest.raises(InvalidInput):
        rules.check_customer_document(IdentityType.RUC, "20100070971")
