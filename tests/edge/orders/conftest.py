from __future__ import annotations

import pytest

from edge.runtime import EdgeRuntime
from tests.edge.orders.helpers import load_catalog


@pytest.fixture(autouse=True)
def demo_catalog(edge_runtime: EdgeRuntime) -> None:
    load_catalog(edge_runtime)
