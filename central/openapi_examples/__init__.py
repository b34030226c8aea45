"""Shared OpenAPI examples of the hub's responses (es-PE data), one submodule per area.

Schemas attach them with ``model_config = ConfigDict(json_schema_extra={"examples": [...]})``;
list wrappers reuse their item's example, so one record is written once. Every example is
checked against its schema by ``tests/central/test_openapi_contract.py``.
"""
