"""One advisory lock per constitution, held by every writer (CLI commands, the studio, calibrate).

The lock is `flock` on the constitution's root folder itself: it needs no file of its own,
so it works when `.cstudio/` is read-only, missing or untrusted, and the kernel drops it
when a process dies (kill -9 leaves no stale lock). Writers hold it from reading the files
they edit until the write is on disk, so two commands can never both read the old text and
each write back their own edit. Re-entrant within a process.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from constitution_studio.errors import FileChangedError

DEFAULT_TIMEOUT_S = 30.0

_held: dict[str, tuple[int, int]] = {}  # real root -> (fd, depth)
_guard = threading.RLock()


class LockTimeoutError(FileChangedError):
    title = "busy"


@contextmanager
def constitution_lock(root: Path, timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[None]:
    """Hold the constitution's write lock for the block; LockTimeoutError (exit 2) after `timeout` s."""
    key = os.path.realpath(root)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if not reentered:
        fd = os.open(key, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeoutError(
                        f"another cstudio command has been writing this constitution for {timeout:.0f} s; try again",
                        path=key,
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        with _guard:
            _held[key] = (fd, 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[key]
            if depth > 1:
                _held[key] = (fd, depth - 1)
            else:
                del _held[key]
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)


def is_locked_here(root: Path) -> bool:
    """Whether this process holds the lock of `root` (writers assert it)."""
    with _guard:
        return os.path.realpath(root) in _held
