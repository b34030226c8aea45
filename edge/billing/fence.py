"""Learn the hub's series fence again while it is pending (``billing.series_fence`` job).

:func:`edge.sync.enroll.learn_series` runs at enrolment; when the hub was unreachable then (a
restore at a sede without internet), the node issues from its contingency series
(:mod:`edge.billing.numbering`). This job retries learning, with the node's credentials, until
it succeeds; from then on the regular series continue after the hub's last known number.
"""

from __future__ import annotations

import logging

from domain.errors import LabError
from edge.billing import numbering
from edge.db import read_session
from edge.runtime import EdgeRuntime
from edge.sync.enroll import learn_series, load_credentials, make_client
from edge.worker import job

log = logging.getLogger("labred.edge.billing")


def relearn_if_pending(rt: EdgeRuntime, *, timeout: float = 10.0) -> bool | None:
    """None: nothing pending (or the node is not enrolled); True: learned; False: hub still
    unreachable (the contingency series stay in use)."""
    with read_session(rt.engine) as session:
        if not numbering.fence_pending(session):
            return None
    creds = load_credentials(rt.settings.data_dir)
    if not creds or not creds.get("hub_url"):
        return None
    client = make_client(str(creds["hub_url"]), creds, timeout=timeout, attempts=1)
    try:
        learn_series(rt.engine, client, rt.clock)
    except LabError as exc:  # pragma: no cover - learn_series already absorbs hub errors
        log.warning("series fence not learned: %s", exc.msg)
        return False
    finally:
        client.http.close()
    with read_session(rt.engine) as session:
        learned = not numbering.fence_pending(session)
    if learned:
        log.info("series fence learned from the hub: regular series resume")
    return learned


@job("billing.series_fence", seconds=30)
def fence_job(rt: EdgeRuntime) -> bool | None:
    return relearn_if_pending(rt)


__all__ = ["relearn_if_pending"]
