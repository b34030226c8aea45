"""What a process's fds and threads are (bench/bench_soak.py): fds by kind (TCP sockets by
state and peer port, the SQLite files, pipes, epoll, ...) and threads by name, read from
/proc, so a count that rises can be told apart (a pool filling up vs. a leak)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}
_DIGITS = re.compile(r"\d+")


def tcp_sockets(pid: int) -> dict[str, str]:
    """Socket inode -> "tcp STATE local:port→peer:port" (the ports tell who the peer is)."""
    out: dict[str, str] = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 10:
                continue
            local = int(parts[1].rsplit(":", 1)[1], 16)
            remote = int(parts[2].rsplit(":", 1)[1], 16)
            state = TCP_STATES.get(parts[3], parts[3])
            out[parts[9]] = f"tcp {state} :{local}→:{remote}"
    return out


def fd_kind(target: str, tcp: dict[str, str], ports: dict[int, str]) -> str:
    """A short name for what an fd points at; named ports (``ports``) replace numbers."""
    if target.startswith("socket:["):
        label = tcp.get(target[8:-1])
        if label is None:
            return "socket (unix/other)"
        kind, state, pair = label.split(" ", 2)
        local, remote = (int(p) for p in pair.replace(":", "").split("→"))
        if state == "LISTEN":
            return f"tcp LISTEN {ports.get(local, local)}"
        # The side that listens on a known port is the server; name the other end.
        if local in ports:
            return f"tcp {state} client→{ports[local]}"
        return f"tcp {state} →{ports.get(remote, remote)}"
    if target.startswith("pipe:"):
        return "pipe"
    if target.startswith("anon_inode:"):
        return target[len("anon_inode:") :].strip("[]")
    if target.startswith("/dev/"):
        return target
    name = os.path.basename(target)
    for suffix in ("-wal", "-shm", "-journal", ".writelock", ".checkpointer"):
        if name.endswith(suffix):
            return f"file *{suffix}"
    if name.endswith((".sqlite3", ".db")):
        return "file (sqlite db)"
    if "/site-packages/" in target or target.endswith((".so", ".py", ".pyc")):
        return "file (library)"
    return "file " + _DIGITS.sub("N", name)[:40]


def fd_kinds(pids: list[int], ports: dict[int, str]) -> Counter[str]:
    """fds of ``pids`` (a process tree) by kind."""
    kinds: Counter[str] = Counter()
    for pid in pids:
        tcp = tcp_sockets(pid)
        try:
            names = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in names:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            kinds[fd_kind(target, tcp, ports)] += 1
    return kinds


def thread_names(pids: list[int]) -> Counter[str]:
    """Threads of ``pids`` by name (digits folded: ``ThreadPoolExecutor-0_3`` counts as one)."""
    names: Counter[str] = Counter()
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                comm = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            except OSError:
                continue
            names[_DIGITS.sub("N", comm)] += 1
    return names


def memory_parts(pids: list[int]) -> dict[str, float]:
    """MB of the smaps_rollup fields that tell heap from mapped files (Anonymous, Shared_*)."""
    parts: dict[str, float] = {}
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields = value.split()
            if fields and fields[-1] == "kB":
                parts[name] = parts.get(name, 0.0) + int(fields[0]) / 1024
    return parts


def diff_line(before: Counter[str], after: Counter[str]) -> str:
    """``kind a→b`` for every kind, changed ones first."""
    keys = sorted(set(before) | set(after), key=lambda k: (before[k] == after[k], k))
    return ", ".join(f"{k} {before[k]:g}→{after[k]:g}" for k in keys)
