"""Shared OpenAPI examples of the edge's responses (es-PE data), one submodule per area.

``common`` holds the ids, dates and people; ``records`` the sale most examples embed (patient,
order, items, payments, samples, discount request) and ``page``; ``patients``, ``cash``,
``billing``, ``lab``, ``catalog`` and ``system`` build each area's responses from those, so a
record is written once. Schemas attach them with
``model_config = ConfigDict(json_schema_extra={"examples": [...]})`` (list wrappers reuse their
item's example); ``sync.openapi_nulls`` keeps their nulls in ``/openapi.json`` and
``tests/edge/test_openapi_contract.py`` validates every one against its schema.
"""
