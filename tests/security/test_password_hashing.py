"""The products hash passwords with argon2id at full cost (the suite's own processes use cheap
parameters: ``tests/passwords.py``), checked in a real process of each app."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.passwords import CHEAP

SCRIPT = """
import sys
from {module} import hash_password, verify_password
made = hash_password("clave-de-prueba-2026")
assert verify_password(made, "clave-de-prueba-2026")
assert not verify_password(made, "otra-clave-2026")
# a hash made at another cost (an older hub's, or the suite's) is still checked
assert verify_password(sys.argv[1], "clave-vieja-2026")
print(made)
"""


@pytest.mark.parametrize("module", ["edge.auth.passwords", "central.auth.passwords"])
def test_a_real_process_hashes_with_argon2id_at_full_cost(module: str) -> None:
    older = CHEAP.hash("clave-vieja-2026")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(module=module), older],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    made = done.stdout.strip()
    found = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$\S+", made)
    assert found, made
    memory_kib, time_cost, lanes = (int(g) for g in found.groups())
    # OWASP's floor for argon2id is 19 MiB with t=2; the products use argon2's defaults
    assert (memory_kib, time_cost, lanes) == (65536, 3, 4)


def test_the_suite_hashes_cheaply_in_its_own_process() -> None:
    from edge.auth.passwords import hash_password

    assert hash_password("x" * 12).startswith("$argon2id$v=19$m=1024,t=1,p=1$")
