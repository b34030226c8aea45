"""Counter-approval failures (a supervisor's password typed at the till) counted per node when
the node runs several API processes (``edge.auth.throttle.share_approvals``)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import TooManyRequests
from edge.auth import throttle

ROOT = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)

FAIL = textwrap.dedent(
    """
    import datetime as dt, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from edge.auth import throttle

    throttle.share_approvals(Path({path!r}))
    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    for _ in range({n}):
        throttle.register_approval_failure(approver="Supervisora", requester_id="u1", now=now)
    """
)


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "approvals.json"
    throttle.share_approvals(path)
    yield path
    throttle.share_approvals(None)


def _fail_in_another_process(path: Path, n: int) -> None:
    code = FAIL.format(root=str(ROOT), path=str(path), n=n)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_failures_in_two_processes_add_up(shared: Path) -> None:
    _fail_in_another_process(shared, 3)
    throttle.check_approval_allowed(approver="supervisora", requester_id="u1", now=NOW, loc=[])
    assert not throttle.register_approval_failure(
        approver="supervisora", requester_id="u1", now=NOW
    )
    _fail_in_another_process(shared, 1)  # the fifth, elsewhere
    with pytest.raises(TooManyRequests) as caught:
        throttle.check_approval_allowed(
            approver="supervisora", requester_id="u1", now=NOW, loc=["x"]
        )
    assert caught.value.code == "approval_throttled" and caught.value.loc == ["x"]
    # another requester is not locked; the lock ends after 15 minutes
    throttle.check_approval_allowed(approver="supervisora", requester_id="u2", now=NOW, loc=[])
    later = NOW + dt.timedelta(minutes=15, seconds=1)
    throttle.check_approval_allowed(approver="supervisora", requester_id="u1", now=later, loc=[])


def test_a_right_password_clears_the_count_and_stale_pairs_are_dropped(shared: Path) -> None:
    for _ in range(4):
        throttle.register_approval_failure(approver="jefa", requester_id="u1", now=NOW)
    throttle.reset_approvals(approver="jefa", requester_id="u1")
    throttle.register_approval_failure(approver="otra", requester_id="u9", now=NOW)
    assert not throttle.register_approval_failure(approver="jefa", requester_id="u1", now=NOW)
    much_later = NOW + dt.timedelta(hours=1)
    throttle.register_approval_failure(approver="nueva", requester_id="u3", now=much_later)
    assert "otra" not in shared.read_text() and "nueva" in shared.read_text()


def test_a_torn_file_starts_afresh(shared: Path) -> None:
    shared.write_text("{no es json")
    assert not throttle.register_approval_failure(approver="jefa", requester_id="u1", now=NOW)
    assert "jefa" in shared.read_text()
