"""Password hashing in the test processes: argon2id with cheap parameters.

The products hash with argon2's defaults (m=64 MiB, t=3, p=4): about 100 ms per hash and per
check on these machines, by design. A test run makes and checks thousands of passwords (every
user created, every sign-in), so inside pytest's own processes both apps hash with m=1 MiB, t=1,
p=1 instead: still argon2id, still checked by the same code (argon2 reads the cost from each
hash), only cheaper. Processes the tests start (``labred edge serve`` …) hash at full cost.

What depends on the real cost takes the :func:`production_hashing` fixture (the sign-in timing
tests), and ``tests/security/test_password_hashing.py`` checks the products' parameters in a real
process.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

import central.auth.passwords as hub_passwords
import central.auth.service as hub_auth
import edge.auth.passwords as edge_passwords
import edge.auth.service as edge_auth

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _use(hasher: PasswordHasher) -> None:
    edge_passwords._hasher = hasher
    hub_passwords._hasher = hasher
    # the hash checked for unknown users is made once per process: make it again at this cost
    edge_auth._dummy_hash.cache_clear()
    hub_auth._dummy_hash.cache_clear()


def use_cheap_hashing() -> None:
    """Called once by ``tests/conftest.py`` in every test process."""
    _use(CHEAP)


@pytest.fixture
def production_hashing() -> Iterator[None]:
    """The products' own hasher for one test (argon2's defaults), then the cheap one again."""
    _use(PasswordHasher())
    try:
        yield
    finally:
        _use(CHEAP)
