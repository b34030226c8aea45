"""Spanish field names in validation messages (``sync.fieldnames``)."""

from __future__ import annotations

import pytest

from sync.fieldnames import field_label, with_field


@pytest.mark.parametrize(
    ("loc", "label"),
    [
        (["body", "payments", 0, "amount"], "pago 1, monto"),
        (["body", "payments", 2, "reference"], "pago 3, referencia"),
        (["body", "items", 0, "unit_price"], "ítem 1, precio"),
        (["body", "discount", "value"], "descuento, valor"),
        (["body", "declared", "yape"], "declarado, yape"),
        (["body", "prices", "svc-1"], "precios, svc-1"),
        (["query", "page_size"], "tamaño de página"),
        (["body", "payments"], "pagos"),
        (["body", "sobra"], "sobra"),
        (["body"], None),
        (["body", 12], None),  # a position in malformed JSON
        ([], None),
    ],
)
def test_field_label(loc: list[str | int], label: str | None) -> None:
    assert field_label(loc) == label


def test_generic_messages_always_get_the_field() -> None:
    loc: list[str | int] = ["body", "payments", 0, "amount"]
    assert with_field("Este campo es obligatorio.", loc, generic=True) == (
        "Pago 1, monto: este campo es obligatorio."
    )
    assert with_field("Texto demasiado corto.", ["body", "ruc"], generic=True) == (
        "RUC: texto demasiado corto."
    )
    assert with_field("El cuerpo no es JSON válido.", ["body", 3], generic=True) == (
        "El cuerpo no es JSON válido."
    )


def test_written_messages_get_it_only_inside_lists() -> None:
    msg = "El RUC no es válido."
    assert with_field(msg, ["body", "ruc"], generic=False) == msg
    assert with_field(
        "Indique el número.", ["body", "payments", 1, "reference"], generic=False
    ) == ("Pago 2, referencia: Indique el número.")
