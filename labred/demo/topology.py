"""Where every demo process lives: ports and directories derived from --port-base and --data-dir.

hub P; edge k P+k; the cut-able link of edge k to the hub P+100+k; SUNAT simulator P+99;
laboratory stand-in of sede k REST P+200+k and MLLP P+300+k; the edge's results listener P+400+k.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

DEMO_PASSWORD = "labred-demo"


#: What a demo writes under its data directory (:class:`Topology`): nothing else is removed.
_DEMO_ENTRY = re.compile(r"hub|sandbox|logs|clock|edge-S\d{2}")


def sede_code(k: int) -> str:
    return f"S{k:02d}"


@dataclass(frozen=True)
class Topology:
    port_base: int
    data_dir: Path
    sedes: int

    @property
    def hub_dir(self) -> Path:
        return self.data_dir / "hub"

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def sandbox_dir(self) -> Path:
        return self.data_dir / "sandbox"

    def edge_dir(self, k: int) -> Path:
        return self.data_dir / f"edge-{sede_code(k)}"

    def clear_previous(self) -> list[str]:
        """Remove what an earlier demo left in the data directory (a headless run plays its
        days on fresh nodes: the earlier run sealed them); the names removed. Refuses, with
        ValueError, a directory holding anything a demo does not write."""
        if not self.data_dir.is_dir():
            return []
        entries = sorted(self.data_dir.iterdir())
        foreign = [e.name for e in entries if not _DEMO_ENTRY.fullmatch(e.name)]
        if foreign:
            names = ", ".join(foreign[:5])
            raise ValueError(
                f"{self.data_dir} holds more than an earlier demo's data ({names}): "
                "choose another --data-dir"
            )
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        return [e.name for e in entries]

    def clock_file(self, name: str) -> Path:
        return self.data_dir / "clock" / f"{name}.offset"

    @property
    def hub_port(self) -> int:
        return self.port_base

    def edge_port(self, k: int) -> int:
        return self.port_base + k

    def link_port(self, k: int) -> int:
        return self.port_base + 100 + k

    @property
    def sunat_port(self) -> int:
        return self.port_base + 99

    def lab_port(self, k: int) -> int:
        return self.port_base + 200 + k

    def lab_mllp_port(self, k: int) -> int:
        return self.port_base + 300 + k

    def listener_port(self, k: int) -> int:
        return self.port_base + 400 + k

    def all_ports(self) -> list[int]:
        ports = [self.hub_port, self.sunat_port]
        for k in range(1, self.sedes + 1):
            ports += [
                self.edge_port(k),
                self.link_port(k),
                self.lab_port(k),
                self.lab_mllp_port(k),
                self.listener_port(k),
            ]
        return ports

    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}"

    def edge_url(self, k: int) -> str:
        return f"http://127.0.0.1:{self.edge_port(k)}"

    def link_url(self, k: int) -> str:
        return f"http://127.0.0.1:{self.link_port(k)}"

    def sunat_sim_url(self) -> str:
        """The SUNAT stand-in's own base URL (``/_sim/faults``, ``/_sim/documents``)."""
        return f"http://127.0.0.1:{self.sunat_port}"

    def sunat_url(self) -> str:
        return f"http://127.0.0.1:{self.sunat_port}/ol-ti-itcpfegem-beta/billService"
