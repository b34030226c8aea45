"""Batching, the client's error mapping and retries, digests and upcasters."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import Conflict, Forbidden, InvalidInput, Unavailable
from sync.client import SyncClient, make_batch
from sync.digest import table_digest
from sync.protocol import PushAck, PushBatch, UpgradeRequired
from sync.upcast import add_field, rename_field, upcast


def _rows(tx_sizes: list[int], payload_size: int = 10) -> list[dict[str, Any]]:
    rows, seq = [], 0
    for t, size in enumerate(tx_sizes):
        for _ in range(size):
            seq += 1
            rows.append({"seq": seq, "tx_id": f"tx{t}", "payload": "x" * payload_size})
    return rows


@given(st.lists(st.integers(1, 9), min_size=1, max_size=30), st.integers(1, 20))
def test_batches_never_split_a_transaction(tx_sizes: list[int], max_rows: int) -> None:
    rows = _rows(tx_sizes)
    sent: list[dict[str, Any]] = []
    while len(sent) < len(rows):
        batch = make_batch(rows[len(sent) :], max_rows=max_rows)
        assert batch, "no progress"
        nxt = rows[len(sent) + len(batch)] if len(sent) + len(batch) < len(rows) else None
        assert nxt is None or nxt["tx_id"] != batch[-1]["tx_id"]
        assert len(batch) <= max_rows or len({r["tx_id"] for r in batch}) == 1
        sent.extend(batch)
    assert [r["seq"] for r in sent] == [r["seq"] for r in rows]


def test_batches_respect_the_byte_budget() -> None:
    rows = _rows([1] * 10, payload_size=1000)
    assert len(make_batch(rows, max_rows=500, max_bytes=3000)) == 2
    big = _rows([5], payload_size=10_000)
    assert len(make_batch(big, max_rows=2, max_bytes=1000)) == 5  # one tx travels whole


def _ack() -> dict[str, Any]:
    return PushAck(
        acked_to=3, hub_time="2026-11-29T10:00:00+00:00", hub_hlc="0192f0a1b2c3-0000-hub"
    ).model_dump()


def test_push_is_gzip_with_headers_and_basic_auth() -> None:
    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["encoding"] = request.headers["content-encoding"]
        seen["auth"] = request.headers["authorization"]
        seen["protocol"] = request.headers["sync-protocol"]
        seen["body"] = json.loads(gzip.decompress(request.content))
        return httpx.Response(200, json=_ack())

    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://hub")
    client = SyncClient(http, node_id="n1", secret="s", sleep=lambda s: None)
    ack = client.push(PushBatch(node_id="n1", epoch=1, from_seq=1, to_seq=1, rows=[]))
    assert ack.acked_to == 3
    assert seen["encoding"] == "gzip" and seen["auth"].startswith("Basic ")
    assert seen["protocol"] == "1" and seen["body"]["node_id"] == "n1"


def test_transient_failures_are_retried_then_unavailable() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            raise httpx.ConnectError("down", request=request)
        return httpx.Response(503, json={})

    waits: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://hub")
    client = SyncClient(http, node_id="n", secret="s", attempts=4, sleep=waits.append)
    with pytest.raises(Unavailable) as info:
        client.pull(0)
    assert info.value.code == "hub_unavailable"
    assert len(calls) == 4 and len(waits) == 3 and all(w > 0 for w in waits)


@pytest.mark.parametrize(
    ("status", "code", "exc"),
    [
        (409, "stale_epoch", Conflict),
        (403, "node_revoked", Forbidden),
        (426, "upgrade_required", UpgradeRequired),
        (422, "batch_invalid", InvalidInput),
    ],
)
def test_hub_errors_map_to_lab_errors(status: int, code: str, exc: type[Exception]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": [{"type": code, "msg": "m", "loc": []}]})

    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://hub")
    with pytest.raises(exc) as info:
        SyncClient(http, sleep=lambda s: None).pull(0)
    assert info.value.code == code  # type: ignore[attr-defined]


_payload = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=8),
        "code": st.text(max_size=5),
        "name": st.text(max_size=10),
    }
)


@given(st.lists(_payload, max_size=20), st.randoms())
def test_digest_is_order_independent(rows: list[dict[str, Any]], rnd: Any) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert table_digest("catalog_category", rows) == table_digest("catalog_category", shuffled)


@given(st.lists(_payload, min_size=1, max_size=10))
def test_digest_sees_a_duplicate_and_a_change(rows: list[dict[str, Any]]) -> None:
    base = table_digest("catalog_category", rows)
    assert table_digest("catalog_category", [*rows, rows[0]]) != base
    changed = [{**rows[0], "name": rows[0]["name"] + "!"}, *rows[1:]]
    assert table_digest("catalog_category", changed) != base


CHAIN = {
    1: add_field("currency", "PEN", types={"payment"}),
    2: rename_field("amount", "amount_cents"),
}


@given(
    st.dictionaries(
        st.sampled_from(["id", "amount", "method", "currency"]), st.integers() | st.text(max_size=5)
    ),
    st.sampled_from(["payment", "order"]),
)
def test_upcast_is_total_pure_and_deterministic(payload: dict[str, Any], rtype: str) -> None:
    before = dict(payload)
    out1 = upcast(rtype, payload, 1, target=3, chain=CHAIN)
    out2 = upcast(rtype, payload, 1, target=3, chain=CHAIN)
    assert out1 == out2 and payload == before  # deterministic, input untouched
    assert "amount" not in out1
    if "amount" in payload:
        assert out1["amount_cents"] == payload.get("amount_cents", payload["amount"])
    if rtype == "payment":
        assert out1["currency"] == payload.get("currency", "PEN")
    # composition: 1 -> 2 -> 3 equals 1 -> 3
    assert (
        upcast(rtype, upcast(rtype, payload, 1, target=2, chain=CHAIN), 2, target=3, chain=CHAIN)
        == out1
    )
    assert upcast(rtype, out1, 3, target=3, chain=CHAIN) == out1  # identity at the target


def test_upcast_refuses_newer_and_unknown_versions() -> None:
    with pytest.raises(InvalidInput) as info:
        upcast("order", {}, 5, target=3, chain=CHAIN)
    assert info.value.code == "schema_too_new"
    with pytest.raises(InvalidInput) as info:
        upcast("order", {}, 1, target=4, chain=CHAIN)
    assert info.value.code == "schema_unknown"
