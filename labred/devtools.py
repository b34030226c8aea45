"""Developer tools: ``python -m labred.devtools regen-migrations``.

Until the first release, each side has one initial migration generated from the models; this
regenerates it (after adding or changing tables) on a scratch database. Hand-written
migrations (FTS tables, triggers) come after it and are kept.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def _regen(side: str) -> None:
    from alembic import command

    from sync.migrations import alembic_config

    with tempfile.TemporaryDirectory() as tmp:
        if side == "edge":
            from edge.runtime import MIGRATIONS, EdgeRuntime
            from edge.settings import load_edge_settings

            rt = EdgeRuntime.open(load_edge_settings(Path(tmp)))
            engine = rt.engine
            closer: Callable[[], None] = rt.engine.dispose
        else:
            from central.runtime import MIGRATIONS, HubRuntime  # type: ignore[assignment]
            from central.settings import load_hub_settings

            hub = HubRuntime.open(load_hub_settings(Path(tmp)))
            engine = hub.engine
            closer = hub.close
        versions = MIGRATIONS / "versions"
        for old in versions.glob("0001_*.py"):
            old.unlink()
        # Hand-written migrations (0002+) revise 0001: set them aside while 0001 is rebuilt.
        aside = Path(tmp) / "aside"
        aside.mkdir()
        later = [p for p in versions.glob("*.py") if not p.name.startswith("0001_")]
        for path in later:
            shutil.move(path, aside / path.name)
        try:
            cfg = alembic_config(MIGRATIONS, engine)
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
        finally:
            for path in later:
                shutil.move(aside / path.name, path)
            closer()


def main(argv: list[str]) -> int:
    if argv[:1] != ["regen-migrations"]:
        print("usage: python -m labred.devtools regen-migrations [edge|hub]", file=sys.stderr)
        return 2
    for side in argv[1:] or ["edge", "hub"]:
        _regen(side)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
