"""The billing tests' fixtures (a runtime on a fixed clock, orders, the SUNAT simulator)."""

from tests.edge.billing.conftest import (  # noqa: F401
    clock,
    fsyncs,
    make_order,
    rt,
    sim,
    simulator,
)
