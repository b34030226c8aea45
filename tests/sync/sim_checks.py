"""The simulation's invariants: checked after every push (the node never acks beyond the hub's
mark, and the mark never splits a transaction), and once the network is quiet (nothing lost or
doubled, sums per day equal at edge and hub, mirror tables equal to the hub's, one canonical
patient per document). A violated invariant raises :class:`InvariantError` naming the seed."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from edge.sync.digests import local_digests
from sync import changefeed, outbox
from tests.sync.sim_actors import Edge
from tests.sync.sim_network import SimNetwork


class InvariantError(AssertionError):
    pass


class Checks:
    """Invariant checks of the simulation (state lives on the :class:`Simulation`)."""

    seed: int
    hub_rt: HubRuntime
    edges: list[Edge]
    net: SimNetwork
    doc_sedes: defaultdict[str, set[str]]

    def _hub_hwm(self, edge: Edge) -> int:
        state = self._state(edge)
        with self.hub_rt.engine.connect() as conn:
            v = conn.execute(
                text("SELECT hwm FROM sync_inbox WHERE node_id = :n AND epoch = :e"),
                {"n": state["node_id"], "e": state["epoch"]},
            ).scalar()
        return int(v or 0)

    def _state(self, edge: Edge) -> dict[str, Any]:
        with edge.engine.connect() as conn:
            return dict(conn.execute(outbox.sync_state.select()).mappings().one())

    def check_push_invariants(self, edge: Edge) -> None:
        state, hwm = self._state(edge), self._hub_hwm(edge)
        if state["acked_seq"] > hwm:
            raise InvariantError(
                f"seed {self.seed}: {edge.name} acked {state['acked_seq']} "
                f"beyond the hub's mark {hwm}"
            )
        with edge.engine.connect() as conn:
            txs: dict[Any, Any] = dict(
                conn.execute(
                    text("SELECT seq, tx_id FROM sync_outbox WHERE seq IN (:a, :b)"),
                    {"a": hwm, "b": hwm + 1},
                ).all()
            )
        if hwm in txs and hwm + 1 in txs and txs[hwm] == txs[hwm + 1]:
            raise InvariantError(
                f"seed {self.seed}: {edge.name} hub mark {hwm} splits transaction {txs[hwm]}"
            )

    def _settled(self, edge: Edge) -> bool:
        state = self._state(edge)
        with self.hub_rt.engine.connect() as conn:
            head = changefeed.head(conn)
        with edge.engine.connect() as conn:
            deferred = conn.execute(text("SELECT count(*) FROM sync_deferred")).scalar()
        return (
            state["acked_seq"] == state["last_seq"]
            and state["pull_cursor"] == head
            and not deferred
        )

    def check_final(self) -> dict[str, Any]:
        s = self.seed
        with self.hub_rt.engine.connect() as conn:
            hub_records = {
                (r.record_type, r.id): r.payload
                for r in conn.execute(text("SELECT record_type, id, payload FROM sync_record"))
            }
            dup = conn.execute(
                text(
                    "SELECT payload->>'series', payload->>'number', count(*) FROM sync_record "
                    "WHERE record_type = 'invoice' GROUP BY 1, 2 HAVING count(*) > 1"
                )
            ).all()
            parked = conn.execute(text("SELECT count(*) FROM sync_parked")).scalar()
            hub_patients = conn.execute(text("SELECT doc_number, id FROM hub_patient")).all()
            aliases: dict[Any, Any] = dict(
                conn.execute(text("SELECT alias_id, canonical_id FROM hub_patient_alias")).all()
            )
            dup_conflicts = conn.execute(
                text("SELECT count(*) FROM sync_conflict WHERE kind = 'duplicate_identity'")
            ).scalar()
            head = changefeed.head(conn)
        if dup:
            raise InvariantError(f"seed {s}: (series, number) twice at the hub: {dup}")
        if parked:
            raise InvariantError(f"seed {s}: {parked} rows parked without an injected bad row")
        from central.sync.models import Node
        from central.sync.pull import digests

        seen: set[tuple[str, str]] = set()
        for e in self.edges:
            with e.engine.connect() as conn:
                images: dict[tuple[str, str], dict[str, Any]] = {}
                for r in conn.execute(
                    text("SELECT record_type, record_id, payload FROM sync_outbox ORDER BY seq")
                ):
                    images[(r.record_type, r.record_id)] = json.loads(r.payload)
                for key in e.committed:
                    if key not in images:
                        raise InvariantError(f"seed {s}: {e.name} lost outbox row {key}")
                mine = {k: v for k, v in images.items() if k[0] != "patient"}
                for key, image in mine.items():
                    if key not in hub_records:
                        raise InvariantError(f"seed {s}: {e.name} record {key} missing at hub")
                    if hub_records[key] != image:
                        raise InvariantError(
                            f"seed {s}: {e.name} record {key} differs at hub:"
                            f" {hub_records[key]} != {image}"
                        )
                seen |= set(mine)
                edge_sums = conn.execute(
                    text("SELECT business_date, count(*), sum(amount) FROM payment GROUP BY 1")
                ).all()
                edge_orders = conn.execute(
                    text("SELECT business_date, count(*), sum(total) FROM lab_order GROUP BY 1")
                ).all()
                local_dig = local_digests(conn)
                repairs = conn.execute(
                    text("SELECT digest_repairs FROM sync_status WHERE id = 1")
                ).scalar()
                canon: dict[Any, Any] = dict(
                    conn.execute(
                        text("SELECT doc_number, id FROM patient WHERE canonical_id IS NULL")
                    ).all()
                )
            hub_sums: dict[str, defaultdict[Any, list[int]]] = {
                k: defaultdict(lambda: [0, 0]) for k in ("payment", "order", "invoice")
            }
            money = {"payment": "amount", "order": "total", "invoice": "total_cents"}
            for (rtype, _), p in hub_records.items():
                if rtype in hub_sums and p["sede_id"] == e.sede_id:
                    hub_sums[rtype][p["business_date"]][0] += 1
                    hub_sums[rtype][p["business_date"]][1] += p[money[rtype]]
            edge_maps = {
                "payment": {str(d): [n, int(a)] for d, n, a in edge_sums},
                "order": {str(d): [n, int(a)] for d, n, a in edge_orders},
                "invoice": self._edge_invoices(images),
            }
            for kind, edge_map in edge_maps.items():
                if edge_map != dict(hub_sums[kind].items()):
                    raise InvariantError(
                        f"seed {s}: {e.name} {kind} count/sum per day differ: "
                        f"{edge_map} != {dict(hub_sums[kind])}"
                    )
            with hub_uow(self.hub_rt.engine) as hs:
                hub_dig = digests(hs, sede_id=e.sede_id, upto=head)
                node = hs.exec(select(Node).where(Node.sede_id == e.sede_id)).first()
                assert node is not None
            for rtype, digest in local_dig.items():
                if hub_dig.get(rtype) != digest:
                    raise InvariantError(f"seed {s}: {e.name} table {rtype} differs from hub")
            if repairs:
                raise InvariantError(
                    f"seed {s}: {e.name} needed {repairs} digest repairs "
                    "(a change was skipped by the pull)"
                )
            hub_canon: dict[Any, Any] = dict(hub_patients)
            for doc, pid in canon.items():
                if hub_canon.get(doc) != pid:
                    raise InvariantError(
                        f"seed {s}: {e.name} doc {doc} -> {pid}, hub {hub_canon.get(doc)}"
                    )
        if len({d for d, _ in hub_patients}) != len(hub_patients):
            raise InvariantError(f"seed {s}: a document has two canonical patients at the hub")
        if set(hub_records) - seen:
            raise InvariantError(f"seed {s}: hub has records no edge wrote")
        shared = sum(len(v) - 1 for v in self.doc_sedes.values())
        if len(aliases) != shared or (dup_conflicts or 0) < shared:
            raise InvariantError(
                f"seed {s}: {shared} duplicate registrations but "
                f"{len(aliases)} aliases, {dup_conflicts} conflicts"
            )
        return {
            "records": len(hub_records),
            "patients": len(hub_patients),
            "aliases": len(aliases),
            "net": dict(self.net.stats),
        }

    @staticmethod
    def _edge_invoices(images: dict[tuple[str, str], dict[str, Any]]) -> dict[str, list[int]]:
        """Documents per business day at the edge: [count, sum of céntimos]."""
        days: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (rtype, _), image in images.items():
            if rtype == "invoice":
                days[image["business_date"]][0] += 1
                days[image["business_date"]][1] += int(image["total_cents"])
        return dict(days)
