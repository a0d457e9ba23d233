"""One bot process per data folder: an exclusive ``flock`` on ``<folder>/.lock``.

The kernel drops the lock when the holding process ends (even if it is killed), so a
stale ``.lock`` file is harmless and must not be deleted by hand.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.storage.base import StoreError
from bot.storage.modes import FILE_MODE

LOCK_NAME = ".lock"


class StoreLocked(StoreError):
    """Another process (or another store object) already uses this data folder."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        who = f"pid {pid}" if pid is not None else "pid unknown"
        if pid == os.getpid():
            hint = (
                "This same process already opened it (two stores on one folder): "
                "open the store once and share it."
            )
        else:
            hint = (
                "Stop the other bot process first (for example `kill "
                f"{pid if pid is not None else '<pid>'}`, or stop its service), or give "
                "this one a different data folder (storage.path in config.yaml). The lock is "
                "released automatically "
                "when that process ends; do not delete the .lock file."
            )
        super().__init__(f"Another bot process ({who}) is using the data folder {folder}. {hint}")
        self.folder = folder
        self.pid = pid


class FolderLock:
    """Hold ``<folder>/.lock`` from `acquire` until `release`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise StoreLocked(self.folder, pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text)
    except (OSError, ValueError):
        return None
