"""A lock per job kind in the data folder, so two crawls or two weekly runs never overlap.

It is an ``flock`` on a file: the kernel releases it when the process dies, so a crashed run
never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ketawatch.errors import LockedError


@contextmanager
def job_lock(home: Path, name: str = "jobs", *, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock ``name`` in ``home``; wait up to ``wait`` seconds, then raise LockedError."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / f".{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 100, 0).decode(errors="replace").strip()
                    raise LockedError(
                        f"another KetaWatch job is running in {home} ({holder or 'unknown pid'}); "
                        "try again when it has finished") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)
