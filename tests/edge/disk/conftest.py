"""The billing tests' fixtures (a runtime on a fixed clock, orders, the SUNAT simulator)."""

from tests.edge.billing.conftest import clock, make_order, rt, sim, simulator  # noqa: F401
