"""The memories of two API processes of one node (two ``LiveUsers`` on one database): a
``forget()`` in one (a sign-out) empties the other's at its next check, through the sign-out
file beside the database, while a memory that nobody asked to forget keeps its answers."""

from __future__ import annotations

from domain.permissions import Role
from edge.auth.live import SIGNOUTS_FILE, LiveUsers, signouts_path
from edge.runtime import EdgeRuntime
from tests.edge.auth.test_live_user import Ticker, change_user
from tests.edge.factories import make_user


def test_a_forget_in_one_process_reaches_the_other(edge_runtime: EdgeRuntime) -> None:
    path = signouts_path(edge_runtime.engine)
    assert path is not None and path.name == SIGNOUTS_FILE
    assert path.parent == edge_runtime.settings.data_dir.resolve()
    ticker = Ticker()  # time stands still: only the file can empty a memory
    here, there = (LiveUsers(edge_runtime.engine, monotonic=ticker) for _ in range(2))
    user = make_user(edge_runtime, Role.RECEPCIONISTA)
    state = there.state(user.id)
    assert state is not None and state.active
    assert not there.session_alive("sid-gone")

    change_user(edge_runtime, user.id, active=False)
    again = there.state(user.id)
    assert again is not None and again.active  # remembered: nobody signed out

    here.forget()
    assert path.stat().st_size == 1
    gone = there.state(user.id)
    assert gone is not None and not gone.active  # the other memory was emptied
    here.forget()
    assert path.stat().st_size == 2
