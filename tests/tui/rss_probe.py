"""Run the TUI headless through its main screens and print its peak resident memory in MB.

``python -m tests.tui.rss_probe`` — used by test_memory in a fresh process, so nothing of
pytest or the edge is counted.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.tui.scenarios import at_payment_done, settle, snapshot_app


async def main() -> None:
    app = snapshot_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await at_payment_done(pilot)
        for keys in (("escape", "f3"), ("escape", "f4"), ("escape", "f1"), ("escape", "f2")):
            await pilot.press(*keys)
            await settle(pilot)
        screens = len(app.screen_stack)
    # VmHWM is this process image's peak; ru_maxrss would carry the parent's across exec.
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    peak_mb = int(status["VmHWM"].split()[0]) / 1024
    now_mb = int(status["VmRSS"].split()[0]) / 1024
    print(f"screens={screens} peak_rss_mb={peak_mb:.1f} rss_mb={now_mb:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
