"""Wire contract between edge and hub: versions and message shapes."""

from __future__ import annotations

PROTOCOL_VERSION = 1
SCHEMA_VERSION = 1
MIN_PULL_SCHEMA = 1
