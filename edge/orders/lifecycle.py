"""Order statuses and the transitions between them."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import Conflict


class OrderStatus(StrEnum):
    REGISTRADA = "registrada"
    MUESTRA_TOMADA = "muestra_tomada"
    ENVIADA_LABORATORIO = "enviada_laboratorio"
    RESULTADOS_LISTOS = "resultados_listos"
    ENTREGADA = "entregada"
    ANULADA = "anulada"


STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.REGISTRADA: "registrada",
    OrderStatus.MUESTRA_TOMADA: "muestra tomada",
    OrderStatus.ENVIADA_LABORATORIO: "enviada al laboratorio",
    OrderStatus.RESULTADOS_LISTOS: "resultados listos",
    OrderStatus.ENTREGADA: "entregada",
    OrderStatus.ANULADA: "anulada",
}

# The one forward step from each status; anulada is reached only through cancel.
NEXT: dict[OrderStatus, OrderStatus] = {
    OrderStatus.REGISTRADA: OrderStatus.MUESTRA_TOMADA,
    OrderStatus.MUESTRA_TOMADA: OrderStatus.ENVIADA_LABORATORIO,
    OrderStatus.ENVIADA_LABORATORIO: OrderStatus.RESULTADOS_LISTOS,
    OrderStatus.RESULTADOS_LISTOS: OrderStatus.ENTREGADA,
}

CANCELLABLE = frozenset(
    {
        OrderStatus.REGISTRADA,
        OrderStatus.MUESTRA_TOMADA,
        OrderStatus.ENVIADA_LABORATORIO,
        OrderStatus.RESULTADOS_LISTOS,
    }
)


def _refuse(current: OrderStatus, target: OrderStatus) -> Conflict:
    return Conflict(
        f"No se puede pasar una orden {STATUS_LABELS[current]} a {STATUS_LABELS[target]}.",
        code="invalid_transition",
        loc=["body", "status"],
        extra={"from": current.value, "to": target.value},
    )


def check_transition(current: str, target: str) -> None:
    """Raise ``invalid_transition`` (409) unless ``target`` is the next step of ``current``."""
    cur, tgt = OrderStatus(current), OrderStatus(target)
    if tgt is OrderStatus.ANULADA:
        if cur not in CANCELLABLE:
            raise _refuse(cur, tgt)
        return
    if NEXT.get(cur) is not tgt:
        raise _refuse(cur, tgt)
