"""A service (re)started while its disk is full comes up (to serve reads and retry its jobs)
instead of exiting at the data directory's write probe and being restarted in a loop; a
directory that is really not writable is still refused."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from sync.config import ConfigError, ensure_data_dir


def _probe_fails(monkeypatch: pytest.MonkeyPatch, err: int) -> None:
    def write_text(self: Path, *_a: object, **_k: object) -> int:
        raise OSError(err, "probe refused", str(self))

    monkeypatch.setattr(Path, "write_text", write_text)


def test_a_full_disk_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _probe_fails(monkeypatch, errno.ENOSPC)
    assert ensure_data_dir(tmp_path / "edge") == tmp_path / "edge"
    err = capsys.readouterr().err
    assert "no free space in data directory" in err and "writes are refused" in err
    assert not (tmp_path / "edge" / ".write-probe").exists()


def test_a_read_only_directory_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _probe_fails(monkeypatch, errno.EROFS)
    with pytest.raises(ConfigError, match="is not writable"):
        ensure_data_dir(tmp_path / "edge")
