"""OpenAPI checks shared by the edge and hub strictness tests: no request field may take a
float or pydantic's lax Decimal text ("1e3", "٣٥"); amounts and percentages use
``sync.apitypes`` types."""

from __future__ import annotations

from typing import Any

NOT_MONEY = frozenset({"timeout_seconds"})
"""Request fields that are honest floats (durations), not amounts."""


def lax_number_schemas(node: Any, path: str = "") -> list[str]:
    """Paths of schemas that take a float or pydantic's lax Decimal text ("1e3", "٣٥")."""
    found: list[str] = []
    if isinstance(node, dict):
        lax = node.get("type") == "number" or "(?!^[-+.]*$)" in str(node.get("pattern", ""))
        if lax and not any(f"/{name}/" in f"{path}/" for name in NOT_MONEY):
            found.append(path)
        for key, value in node.items():
            found += lax_number_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += lax_number_schemas(value, f"{path}/{i}")
    return found


def request_schemas(spec: dict[str, Any]) -> dict[str, Any]:
    """Every component schema reachable from a request body or parameter, and under
    ``"(inline)"`` the bodies and parameters themselves."""
    components = spec["components"]["schemas"]
    todo: list[Any] = [
        op.get("requestBody", {}) for item in spec["paths"].values() for op in item.values()
    ] + [op.get("parameters", []) for item in spec["paths"].values() for op in item.values()]
    seen: dict[str, Any] = {"(inline)": list(todo)}
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = str(node.get("$ref", ""))
            name = ref.rsplit("/", 1)[-1]
            # inline bodies' own "#/$defs/..." are walked with them, under "(inline)"
            if ref.startswith("#/components/schemas/") and name not in seen:
                seen[name] = components[name]
                todo.append(components[name])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return seen
