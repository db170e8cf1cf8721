"""All-or-nothing changes to several constitution files, surviving kill -9 and a full disk.

A `Transaction` collects what to write and delete, then commits in four steps:

1. check every target (inside the root, a regular writable file, unchanged since it was read);
2. write the journal `.cstudio/journal.json` in state `preparing`, naming each temp file;
3. write every new content to a temp file beside its target and fsync it (a full disk or a
   read-only folder fails here, before any target changed: temps are removed, nothing moved);
4. flip the journal to `committed`, rename each temp over its target, delete what is
   deleted, remove the journal.

A run killed in step 2 or 3 leaves a `preparing` journal: the next command removes its temp
files (the old state). One killed in step 4 leaves `committed`: the next command finishes
the renames (the new state). Either way the constitution is the old or the new version, never
a mix. Recovery trusts the journal only when `.cstudio/` is trusted (see statedir), and
replays only temp files of its own naming inside principles/ and eval_cases/.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from constitution_studio.core.statedir import STATE_DIR, state_dir_problem, trusted_state_dir
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.storage.safe_paths import (
    UnsafeFileError,
    check_write_target,
    is_inside,
    new_file_mode,
    read_in_root,
    resolve_inside,
)
from constitution_studio.errors import BadInputError, FileChangedError

JOURNAL = "journal.json"
_WRITABLE_DIRS = ("principles", "eval_cases")
_TMP_NAME = re.compile(r"^\.[^/]+\.[0-9a-f]{12}\.cstudio-tmp$")
log = logging.getLogger("constitution_studio")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_journal(folder: Path, record: dict[str, object]) -> None:
    tmp = folder / f".{JOURNAL}.{os.getpid()}.tmp"
    try:
        tmp.unlink(missing_ok=True)
        _write_file(tmp, json.dumps(record).encode(), 0o600)
        os.replace(tmp, folder / JOURNAL)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)


@dataclass
class _Op:
    relpath: str
    data: bytes | None  # None: delete
    real: Path | None = None
    mode: int | None = None
    tmp: Path | None = None


class Transaction:
    """Writes and deletes under one constitution root, applied all together or not at all.

    Use inside `constitution_lock(root)`; `read` remembers what a file held so that `commit`
    refuses (FileChangedError) when it changed meanwhile.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))
        self._seen: dict[str, bytes | None] = {}
        self._ops: dict[str, _Op] = {}

    def read(self, relpath: str) -> bytes | None:
        data = read_in_root(self.root, relpath)
        self._seen.setdefault(relpath, data)
        return data

    def expect(self, relpath: str, data: bytes | None) -> None:
        """Declare what `relpath` held when the edit was made (b'' or None: must not exist)."""
        self._seen[relpath] = data or None

    def write(self, relpath: str, data: bytes) -> None:
        self._ops[relpath] = _Op(relpath, data)

    def delete(self, relpath: str) -> None:
        self._ops[relpath] = _Op(relpath, None)

    @property
    def paths(self) -> list[str]:
        return list(self._ops)

    def _check(self) -> list[_Op]:
        ops = list(self._ops.values())
        for op in ops:
            top = Path(op.relpath).parts[0] if Path(op.relpath).parts else ""
            if top not in _WRITABLE_DIRS:
                raise UnsafeFileError(
                    "only principles/ and eval_cases/ are written", code="unwritable", path=op.relpath
                )
            op.real, op.mode = check_write_target(self.root, op.relpath)
            if op.data is None and os.path.islink(self.root / op.relpath):
                op.real = self.root / op.relpath  # deleting a link removes the link, not its target
            if op.relpath in self._seen:
                current = read_in_root(self.root, op.relpath)
                if current != self._seen[op.relpath]:
                    if self._seen[op.relpath] is None:
                        why = "already exists"
                    elif current is None:
                        why = "was deleted on disk since it was read; nothing was written, try again"
                    else:
                        why = "changed on disk since it was read; nothing was written, try again"
                    raise FileChangedError(why, path=op.relpath)
            if op.data is None and op.mode is None:
                op.real = None  # deleting what is not there
        return ops

    def commit(self) -> list[str]:
        """Apply every change; returns the relpaths written or deleted, in order."""
        if not self._ops:
            return []
        with constitution_lock(self.root):
            ops = self._check()
            txid = secrets.token_hex(6)
            for op in ops:
                if op.data is not None and op.real is not None:
                    op.tmp = op.real.parent / f".{op.real.name}.{txid}.cstudio-tmp"
            state = trusted_state_dir(self.root)
            if state is None and len(ops) > 1:
                why = state_dir_problem(self.root) or f"{STATE_DIR}/ cannot be created"
                raise BadInputError(
                    f"a change to several files needs {STATE_DIR}/ for its journal, but {why}; "
                    f"remove {STATE_DIR} (it holds only caches) and try again",
                    path=STATE_DIR,
                )
            record: dict[str, object] = {
                "version": 1,
                "txid": txid,
                "state": "preparing",
                "ops": [
                    {
                        "path": op.relpath,
                        "real": os.path.relpath(op.real, self.root) if op.real else None,
                        "tmp": os.path.relpath(op.tmp, self.root) if op.tmp else None,
                        "new": _sha(op.data) if op.data is not None else None,
                    }
                    for op in ops
                ],
            }
            try:
                if state is not None:
                    _write_journal(state, record)
                for op in ops:
                    if op.tmp is not None and op.data is not None:
                        _write_file(op.tmp, op.data, op.mode if op.mode is not None else new_file_mode())
                if state is not None:
                    record["state"] = "committed"
                    _write_journal(state, record)
            except BaseException as exc:
                for op in ops:
                    if op.tmp is not None:
                        op.tmp.unlink(missing_ok=True)
                if state is not None:
                    (state / JOURNAL).unlink(missing_ok=True)
                if isinstance(exc, OSError):
                    raise BadInputError(
                        f"cannot write: {exc.strerror or exc}; nothing was changed",
                        path=(exc.filename and os.path.relpath(exc.filename, self.root)) or None,
                    ) from None
                raise
            _apply(self.root, record)
            if state is not None:
                (state / JOURNAL).unlink(missing_ok=True)
                _fsync_dir(state)
        return [op.relpath for op in ops]


def _apply(root: Path, record: dict[str, object]) -> None:
    """Step 4 (also recovery of a committed journal): temps over targets, then deletes."""
    ops = record.get("ops")
    folders: set[Path] = set()
    for op in ops if isinstance(ops, list) else []:
        tmp, real = op.get("tmp"), op.get("real")
        if tmp and real:
            tmp_path, real_path = root / tmp, root / real
            if os.path.lexists(tmp_path):
                os.replace(tmp_path, real_path)
                folders.add(real_path.parent)
    for op in ops if isinstance(ops, list) else []:
        if op.get("new") is None and op.get("real"):
            real_path = root / op["real"]
            if os.path.lexists(real_path):
                real_path.unlink()
                folders.add(real_path.parent)
    for folder in folders:
        _fsync_dir(folder)


def _safe_path(root: Path, value: object, *, link_ok: bool = False) -> bool:
    """A journal path this tool could have written: relative, inside the root (a write through an
    in-repo symlink lands at its target), never in .git/ or .cstudio/, not a symlink unless deleted."""
    if not isinstance(value, str) or os.path.isabs(value) or ".." in Path(value).parts:
        return False
    if Path(value).parts[:1] in ((".git",), (STATE_DIR,)) or not Path(value).parts:
        return False
    return is_inside(root, (root / value).parent) and (link_ok or not os.path.islink(root / value))


def _safe_record(root: Path, record: object) -> dict[str, object] | None:
    """The journal when every path in it is one this tool could have written; None otherwise."""
    if not isinstance(record, dict) or record.get("state") not in ("preparing", "committed"):
        return None
    ops = record.get("ops")
    if not isinstance(ops, list):
        return None
    for op in ops:
        if not isinstance(op, dict):
            return None
        for key in ("real", "tmp"):
            deleted = key == "real" and op.get("new") is None
            if op.get(key) is not None and not _safe_path(root, op[key], link_ok=deleted):
                return None
        tmp = op.get("tmp")
        if tmp is not None and not _TMP_NAME.match(Path(tmp).name):
            return None
    return record


def recover(root: Path) -> str | None:
    """Finish or undo a transaction a killed process left behind; a one-line note of what was done."""
    root = Path(os.path.realpath(root))
    journal = root / STATE_DIR / JOURNAL
    if not os.path.lexists(journal):
        return None
    with constitution_lock(root):
        if not os.path.lexists(journal):
            return None  # the writer we waited for finished it
        if state_dir_problem(root, JOURNAL) is not None:
            return f"ignored {STATE_DIR}/{JOURNAL}: {state_dir_problem(root, JOURNAL)}"
        try:
            record = _safe_record(root, json.loads(read_in_root(root, f"{STATE_DIR}/{JOURNAL}") or b""))
        except (ValueError, UnsafeFileError):
            record = None
        if record is None:
            aside = journal.with_name(f"{JOURNAL}.bad")
            os.replace(journal, aside)
            return f"moved an unreadable write journal aside to {STATE_DIR}/{aside.name}"
        listed = record["ops"]
        ops = [op for op in listed if isinstance(op, dict)] if isinstance(listed, list) else []
        if record["state"] == "preparing":
            for op in ops:
                if op.get("tmp"):
                    (root / op["tmp"]).unlink(missing_ok=True)
            journal.unlink()
            return "an interrupted write was undone (nothing had changed)"
        for op in ops:  # committed: the temps must hold what the journal promised
            tmp = op.get("tmp")
            if tmp and os.path.lexists(root / tmp):
                try:
                    data = read_in_root(root, tmp)
                except UnsafeFileError:
                    data = None
                if data is None or _sha(data) != op.get("new"):
                    os.replace(journal, journal.with_name(f"{JOURNAL}.bad"))
                    return f"an interrupted write could not be finished; see {STATE_DIR}/{JOURNAL}.bad"
        _apply(root, record)
        journal.unlink()
        names = ", ".join(str(op.get("path")) for op in ops)
        return f"finished an interrupted write of {names}"


def resolve_for_write(root: Path, relpath: str) -> Path:
    """The real path a write of `relpath` would replace (symlinks inside the root followed)."""
    return resolve_inside(root, relpath)
