"""What one housekeeping run deleted, shared by the edge's and the hub's housekeeping
(``edge.housekeeping``, ``central.housekeeping``) and printed by their CLI commands."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PruneReport:
    """Rows deleted per table, and the longest batch (the longest a writer waited)."""

    deleted: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    longest_batch_s: float = 0.0

    def add(self, table: str, n: int) -> None:
        self.deleted[table] = self.deleted.get(table, 0) + n

    def batch_took(self, seconds: float) -> None:
        self.batches += 1
        self.longest_batch_s = max(self.longest_batch_s, seconds)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    def lines(self, app: str) -> list[str]:
        """What ``labred edge|hub housekeeping`` prints (Spanish, like the other commands)."""
        out = [f"{app}: mantenimiento terminado, {self.total} filas eliminadas"]
        out += [f"  {table}: {n} filas eliminadas" for table, n in sorted(self.deleted.items())]
        out.append(f"  lote más largo: {self.longest_batch_s * 1000:.0f} ms")
        return out
