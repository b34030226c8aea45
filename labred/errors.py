"""CLI errors: one sentence for the technician, exit status 1."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class CliError(Exception):
    pass


@contextlib.contextmanager
def clear_failures() -> Iterator[None]:
    """Turn the expected failures of starting a service into one-sentence CLI errors."""
    from labred.serving import PortError
    from sync.config import ConfigError
    from sync.migrations import SchemaError

    try:
        yield
    except (ConfigError, SchemaError, PortError) as exc:
        raise CliError(str(exc)) from None
