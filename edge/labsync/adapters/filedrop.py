"""File drop: the frozen message (HL7 or CSV) written into a folder (a mounted share or an
FTP-synced folder), atomically: a hidden temp file in the same folder, fsync, ``os.replace``.
A reader never sees a partial file; a resend rewrites the same name (``<control id>.hl7``),
so the folder never holds a duplicate.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from edge.labsync.adapters import Outbound, Outcome


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either absent, old, or complete."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FileDropAdapter:
    protocol = "file"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def path_for(self, message: Outbound) -> Path:
        ext = "csv" if message.content_type == "csv" else "hl7"
        return self.folder / f"{message.control_id}.{ext}"

    def send(self, message: Outbound) -> Outcome:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            body = message.body
            if message.content_type == "hl7":
                body = body + "\r"  # segments end with a carriage return, as on the wire
            write_atomic(self.path_for(message), body.encode("utf-8"))
        except OSError as exc:
            return Outcome(
                "error", detail=f"no se pudo escribir en la carpeta: {exc}", transport_failure=True
            )
        return Outcome("accepted", ack_code="FILE", detail=str(self.path_for(message)))
