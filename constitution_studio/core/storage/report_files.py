"""Reports and schema files written to paths the user names: atomically, never through a symlink.

A report often goes inside the checkout (CI writes `cstudio-report/check.json`), which the pull
request under review controls. It may have planted `check.json -> ~/.bashrc`, a
`check.json.tmp` link, a folder named `check.json`, or made the report folder itself a link out
of the checkout. The rules, for `check`/`shift` reports, every `--output FILE` and
`schema --out DIR`:

- `check_report_path` refuses, before any work starts: a folder at the path, a parent that is
  not a folder, and a symlink among the path's existing folders below the current folder
  (where a repository's links live; the machine's own links above it are the user's);
- `write_report_file` encodes first (text that UTF-8 cannot hold fails before the disk is
  touched), writes a fresh temporary file in the same folder, created exclusively with a random
  name and `O_NOFOLLOW` (nothing planted can be opened), then renames it over the path: a
  symlink there is replaced by the report, its target never opened; on any failure the
  temporary file is removed, so no `*.tmp` is left behind;
- `report_folder` (`schema --out DIR`) refuses a DIR that is a symlink or not a folder, and
  creates it when missing; each file in it is written by `write_report_file`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from constitution_studio.errors import BadInputError

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _link_below_cwd(folder: Path) -> Path | None:
    """The first existing symlink among `folder` and its parents below the current folder."""
    cwd = Path.cwd()
    absolute = Path(os.path.abspath(folder))
    try:
        rel = absolute.relative_to(cwd)
    except ValueError:
        return None
    current = cwd
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            return current
        if not current.exists():
            return None
    return None


def check_report_path(path: Path) -> None:
    """Refuse a report path that cannot be written safely (BadInputError), before any work."""
    if str(path) == "-":
        return
    if path.is_dir() and not path.is_symlink():
        raise BadInputError(f"cannot write {path}: it is a folder; name a file for the report")
    parent = Path(os.path.abspath(path)).parent
    if parent.exists() and not parent.is_dir():
        raise BadInputError(f"cannot write {path}: {parent} is not a folder")
    link = _link_below_cwd(parent)
    if link is not None:
        raise BadInputError(
            f"cannot write {path}: {link} is a symlink; a report is never written through one (remove it, "
            "or name a path without links)"
        )


def report_folder(folder: Path) -> Path:
    """`schema --out DIR`: the folder to write into, created when missing; a symlink is refused."""
    if folder.is_symlink():
        raise BadInputError(f"cannot write into {folder}: it is a symlink; files are never written through one")
    if folder.exists() and not folder.is_dir():
        raise BadInputError(f"cannot write into {folder}: it is not a folder")
    link = _link_below_cwd(folder)
    if link is not None:
        raise BadInputError(f"cannot write into {folder}: {link} is a symlink; files are never written through one")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"cannot create {folder}: {exc.strerror or exc}") from None
    return folder


def write_report_file(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically, replacing a symlink there, never writing through one."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadInputError(f"cannot write {path}: the report holds text UTF-8 cannot store ({exc.reason})") from None
    check_report_path(path)
    parent = Path(os.path.abspath(path)).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, _FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        raise BadInputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):  # gone after the rename; removed after a failure
            os.unlink(tmp)
