"""Reading and writing only what belongs to the constitution: inside the root, regular files, <= 1 MiB.

A repository from an unread pull request may hold symlinks to files elsewhere (or to
`/dev/zero`), FIFOs or folders named `x.yaml`, and files of any size. Every read and
write of a constitution file resolves the path first (following in-repo symlinks to their
target), refuses anything that lands outside the root, opens without blocking, checks the
opened file is a regular file and within the size limit *before* reading it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from constitution_studio.errors import BadInputError

MAX_FILE_BYTES = 1024 * 1024


class UnsafeFileError(BadInputError):
    """A file the tool refuses to read or write; `code` is the finding code it becomes."""

    def __init__(self, message: str, *, code: str, path: str | None, line: int | None = None) -> None:
        super().__init__(message, path=path, line=line)
        self.code = code


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def is_inside(root: Path, target: Path) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.realpath(target)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def resolve_inside(root: Path, relpath: str) -> Path:
    """The real path of `root/relpath` (symlinks followed); UnsafeFileError when it leaves the root."""
    if os.path.isabs(relpath) or ".." in Path(relpath).parts:
        raise UnsafeFileError(f"path {relpath!r} is not inside the constitution", code="outside-root", path=relpath)
    candidate = Path(root) / relpath
    real = Path(os.path.realpath(candidate))
    if not is_inside(root, real):
        raise UnsafeFileError(
            "is a symlink to a file outside the constitution root; refusing to read or write it",
            code="outside-root",
            path=relpath,
        )
    return real


def read_regular(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """Bytes of a regular file of at most `limit` bytes; never blocks on a FIFO, never reads a device.

    FileNotFoundError passes through; every other refusal is an UnsafeFileError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise UnsafeFileError("is a folder, not a file", code="not-regular-file", path=display) from None
    except OSError as exc:
        raise UnsafeFileError(f"cannot read: {exc.strerror or exc}", code="unreadable-file", path=display) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(f"is {_kind(st.st_mode)}, not a file", code="not-regular-file", path=display)
        if st.st_size > limit:
            raise UnsafeFileError(
                f"file is {st.st_size / 1024 / 1024:.1f} MiB; the limit is {limit // 1024 // 1024} MiB",
                code="file-too-large",
                path=display,
                line=1,
            )
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            try:
                chunk = os.read(fd, min(remaining, 1 << 20))
            except OSError as exc:
                raise UnsafeFileError(
                    f"cannot read: {exc.strerror or exc}", code="unreadable-file", path=display
                ) from None
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # grew while we read it
            raise UnsafeFileError(
                f"file is larger than the {limit // 1024 // 1024} MiB limit",
                code="file-too-large",
                path=display,
                line=1,
            )
        return data
    finally:
        os.close(fd)


def read_in_root(root: Path, relpath: str, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """A constitution file's bytes (None when missing), with every check of this module."""
    real = resolve_inside(root, relpath)
    try:
        return read_regular(real, relpath, limit)
    except FileNotFoundError:
        if os.path.lexists(Path(root) / relpath):
            raise UnsafeFileError(
                "is a symlink to a file that does not exist", code="unreadable-file", path=relpath
            ) from None
        return None


def check_write_target(root: Path, relpath: str) -> tuple[Path, int | None]:
    """Where a write of `relpath` lands (through in-repo symlinks) and the mode to keep.

    Refuses targets outside the root, non-regular files, read-only files and folders that
    cannot be written. The mode is None for a file that does not exist yet.
    """
    real = resolve_inside(root, relpath)
    parent = real.parent
    if not parent.is_dir():
        raise UnsafeFileError(
            f"cannot write: the folder {parent.name}/ does not exist", code="unwritable", path=relpath
        )
    try:
        st = os.stat(real)
    except FileNotFoundError:
        mode = None
    else:
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(
                f"is {_kind(st.st_mode)}, not a file; refusing to replace it", code="not-regular-file", path=relpath
            )
        if not st.st_mode & stat.S_IWUSR or not os.access(real, os.W_OK):
            raise UnsafeFileError("the file is read-only; refusing to replace it", code="unwritable", path=relpath)
        mode = stat.S_IMODE(st.st_mode)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UnsafeFileError(
            f"cannot write: the folder {os.path.relpath(parent, os.path.realpath(root))}/ is read-only",
            code="unwritable",
            path=relpath,
        )
    return real, mode


def new_file_mode() -> int:
    """0666 less the process umask: what `open()` would give a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
