"""The pull's digests advanced incrementally (central.sync.digest_state) equal the full
computation at every cursor, forwards and backwards, across compactions, scope changes,
deletes, a replaced database and concurrent callers."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from dataclasses import dataclass, field

from sqlalchemy import text

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.sync import digest_state, pull
from domain.ids import new_id, sede_id_for
from sync.digest import PROJECTIONS
from tests.central.sync.feed_rows import INSERT_ROWS, SET_HEAD

SEDES = [sede_id_for(code) for code in ("S01", "S02", "S03")]
LONELY = sede_id_for("S09")  # a sede with nothing scoped to it
TYPES = ["patient", "patient", "setting", "catalog_service", "user", "patient_alias"]
AT = dt.datetime(2026, 11, 29, 15, tzinfo=dt.UTC)


@dataclass
class Feed:
    """Random hub transactions written straight into the feed (and its committed head)."""

    rt: HubRuntime
    rng: random.Random
    head: int = 0
    alive: dict[tuple[str, str], str | None] = field(default_factory=dict)  # -> scope
    dead: list[tuple[str, str]] = field(default_factory=list)

    def _payload(self, rtype: str, rid: str) -> dict[str, object]:
        fields = PROJECTIONS.get(rtype, ("id", "alias_id"))
        payload: dict[str, object] = dict.fromkeys(fields)
        payload.update({"id": rid, fields[1]: f"v{self.rng.randrange(10**6)}"})
        return payload

    def _scope(self) -> str | None:
        return self.rng.choice([None, None, *SEDES])

    def transaction(self) -> None:
        rows = []
        tx = new_id()
        for _ in range(self.rng.randint(1, 6)):
            roll = self.rng.random()
            key: tuple[str, str]
            if roll < 0.4 or not self.alive:
                key, scope, op = (self.rng.choice(TYPES), new_id()), self._scope(), "upsert"
            elif roll < 0.75:  # an update, a third of them moving the record to another scope
                key = self.rng.choice(list(self.alive))
                scope = self._scope() if self.rng.random() < 0.33 else self.alive[key]
                op = "upsert"
            elif roll < 0.92:
                key = self.rng.choice(list(self.alive))
                scope, op = self.alive[key], "delete"
            elif self.dead:  # a deleted record comes back
                key, scope, op = self.rng.choice(self.dead), self._scope(), "upsert"
            else:
                continue
            if op == "delete":
                del self.alive[key]
                self.dead.append(key)
            else:
                self.alive[key] = scope
            self.head += 1
            rows.append(
                {"c": self.head, "tx": tx, "t": key[0], "i": key[1], "op": op, "at": AT,
                 "p": json.dumps(self._payload(*key)), "scope": scope}
            )  # fmt: skip
        if rows:
            with self.rt.engine.begin() as conn:
                conn.execute(INSERT_ROWS, rows)
                conn.execute(SET_HEAD, {"c": self.head})


def _check(rt: HubRuntime, *, sede: str, upto: int) -> dict[str, str]:
    with unit_of_work(rt.engine) as session:
        conn = session.connection()
        got = digest_state.digests(conn, sede_id=sede, upto=upto)
        assert got == digest_state.full_digests(conn, sede_id=sede, upto=upto), (sede, upto)
    return got


def _compact(rt: HubRuntime, keep_after: int) -> int:
    with unit_of_work(rt.engine) as session:
        return pull.compact(session=session, keep_after=keep_after)


def test_incremental_equals_full_at_random_cursors_across_compactions(
    hub_runtime: HubRuntime,
) -> None:
    digest_state.reset()
    before = dict(digest_state.stats)
    feed = Feed(hub_runtime, random.Random(2026))
    rng = feed.rng
    horizon, answers, removed = 0, set(), 0
    for step in range(70):
        feed.transaction()
        sedes = [rng.choice(SEDES), LONELY]
        answers.add(json.dumps(_check(hub_runtime, sede=sedes[0], upto=feed.head)))
        # an older head (a concurrent pull): anywhere, or a few transactions back
        back = max(horizon, feed.head - rng.randint(0, 12))
        back = rng.choice([back, rng.randint(horizon, feed.head)])
        _check(hub_runtime, sede=sedes[1], upto=back)
        if step in (25, 50):  # the daily compaction moves the horizon
            horizon = rng.randint(horizon, back)
            removed += _compact(hub_runtime, horizon)
        elif step > 25 and step % 3 == 0:  # a quiet day: compacted again, same horizon
            removed += _compact(hub_runtime, horizon)
        _check(hub_runtime, sede=sedes[0], upto=feed.head)  # and forward again
    assert removed > 0  # the compactions did remove images
    assert len(answers) > 40  # the digests moved with the feed
    advanced = digest_state.stats["advanced"] - before["advanced"]
    rebuilt = digest_state.stats["rebuilt"] - before["rebuilt"]
    assert advanced > 150  # the answers were advanced, not recomputed...
    assert rebuilt <= 4  # ...but for the first one and after each move of the horizon


def test_a_quiet_day_compaction_keeps_the_images_at_and_above_the_horizon(
    hub_runtime: HubRuntime,
) -> None:
    digest_state.reset()
    feed = Feed(hub_runtime, random.Random(11))
    for _ in range(30):
        feed.transaction()
    horizon = feed.head
    _compact(hub_runtime, horizon)
    _check(hub_runtime, sede=SEDES[0], upto=horizon)  # the state sits at the horizon
    for _ in range(15):  # every record updated after the horizon
        feed.transaction()
    removed = _compact(hub_runtime, horizon)  # the horizon stays where it was
    _check(hub_runtime, sede=SEDES[0], upto=feed.head)  # advanced from the horizon
    _check(hub_runtime, sede=SEDES[1], upto=horizon)
    assert removed == 0  # the images at the horizon, replaced after it, stay


def test_a_replaced_database_behind_the_same_address_is_not_trusted(
    hub_runtime: HubRuntime,
) -> None:
    digest_state.reset()
    feed = Feed(hub_runtime, random.Random(5))
    for _ in range(20):
        feed.transaction()
    before = _check(hub_runtime, sede=SEDES[0], upto=feed.head)
    rebuilt = digest_state.stats["rebuilt"]
    # a restore: the tail after cursor 10 is another history, up to the same head
    head = feed.head
    with hub_runtime.engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_change_feed WHERE cursor > 10"))
    feed.head, feed.alive, feed.dead = 10, {}, []
    while feed.head < head:
        feed.transaction()
    with hub_runtime.engine.begin() as conn:
        conn.execute(text("DELETE FROM sync_change_feed WHERE cursor > :h"), {"h": head})
        conn.execute(SET_HEAD, {"c": head})
    after = _check(hub_runtime, sede=SEDES[0], upto=head)
    assert after != before
    assert digest_state.stats["rebuilt"] == rebuilt + 1


def test_sedes_share_the_chain_wide_sums_and_concurrent_callers_agree(
    hub_runtime: HubRuntime,
) -> None:
    digest_state.reset()
    feed = Feed(hub_runtime, random.Random(3))
    for _ in range(40):
        feed.transaction()
    first = _check(hub_runtime, sede=SEDES[0], upto=feed.head)
    made = dict(digest_state.stats)
    others = [_check(hub_runtime, sede=s, upto=feed.head) for s in (*SEDES[1:], LONELY)]
    assert digest_state.stats == made  # answered from the kept sums, nothing read again
    assert len({json.dumps(d) for d in (first, *others)}) == 4  # each sede its own scope
    errors: list[BaseException] = []

    def ask(k: int) -> None:
        try:
            for j in range(6):
                _check(hub_runtime, sede=SEDES[(k + j) % 3], upto=feed.head - (k * j) % 17)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
