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
import secrets
import stat
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from constitution_studio.core.statedir import STATE_DIR, state_dir_problem, trusted_state_dir
from constitution_studio.core.storage.locking import constitution_lock
from constitution_studio.core.storage.safe_paths import (
    UnsafeFileError,
    check_write_target,
    new_file_mode,
    read_in_root,
    read_regular,
    resolve_inside,
)
from constitution_studio.core.storage.temps import sweep_stale_temps
from constitution_studio.core.wording import plural
from constitution_studio.errors import BadInputError, FileChangedError

JOURNAL = "journal.json"
_WRITABLE_DIRS = ("principles", "eval_cases")
# Outside those folders, only the files `cstudio init` writes beside a new constitution.
ROOT_FILES = frozenset(
    {
        "README.md",
        ".gitignore",
        ".vscode/settings.json",
        ".vscode/cstudio/constitution.schema.json",
        ".vscode/cstudio/principle.schema.json",
        ".vscode/cstudio/eval_cases.schema.json",
    }
)
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
    old: str | None = None  # sha256 of what the target held before (None: it did not exist)
    new_mode: int | None = None  # for a file that does not exist yet: the mode to give it


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

    def write(self, relpath: str, data: bytes, *, mode_of: str | None = None) -> None:
        """Plan writing `data` to `relpath`. An existing file keeps its mode; a new one gets the
        mode of `mode_of` (a rename keeps the file's mode) or, without it, 0666 less the umask."""
        new_mode = None
        if mode_of is not None:
            try:
                new_mode = stat.S_IMODE(os.stat(resolve_inside(self.root, mode_of)).st_mode)
            except OSError:
                new_mode = None
        self._ops[relpath] = _Op(relpath, data, new_mode=new_mode)

    def delete(self, relpath: str) -> None:
        self._ops[relpath] = _Op(relpath, None)

    @property
    def paths(self) -> list[str]:
        return list(self._ops)

    def _check(self) -> list[_Op]:
        ops = list(self._ops.values())
        for op in ops:
            top = Path(op.relpath).parts[0] if Path(op.relpath).parts else ""
            if top not in _WRITABLE_DIRS and op.relpath not in ROOT_FILES:
                raise UnsafeFileError(
                    "only principles/ and eval_cases/ are written", code="unwritable", path=op.relpath
                )
            op.real, op.mode = check_write_target(self.root, op.relpath)
            if op.data is None and os.path.islink(self.root / op.relpath):
                op.real = self.root / op.relpath  # deleting a link removes the link, not its target
            current: bytes | bool | None = False  # False: not read here
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
            if op.real is not None:
                if Path(os.path.relpath(op.real, self.root)).parts[:1] in ((".git",), (STATE_DIR,)):
                    raise UnsafeFileError(
                        "is a link into .git/ or .cstudio/; refusing to write there", code="unwritable", path=op.relpath
                    )
                linked = os.path.islink(op.real)
                op.old = _sha(current) if isinstance(current, bytes) and not linked else _state(op.real)
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
                "version": 2,
                "txid": txid,
                "state": "preparing",
                "ops": [
                    {
                        "path": op.relpath,
                        "real": os.path.relpath(op.real, self.root) if op.real else None,
                        "tmp": os.path.relpath(op.tmp, self.root) if op.tmp else None,
                        "new": _sha(op.data) if op.data is not None else None,
                        "old": op.old,
                    }
                    for op in ops
                ],
            }
            try:
                if state is not None:
                    _write_journal(state, record)
                for op in ops:
                    if op.tmp is not None and op.data is not None:
                        mode = op.mode if op.mode is not None else op.new_mode
                        _write_file(op.tmp, op.data, mode if mode is not None else new_file_mode())
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


def _state(path: Path) -> str | None:
    """What a target holds, as the journal records it: None when absent, else a content hash
    (a symlink being deleted: a hash of where it points; unreadable: a value no hash equals)."""
    if not os.path.lexists(path):
        return None
    try:
        if os.path.islink(path):
            return "link:" + _sha(os.fsencode(os.readlink(path)))
        return _sha(read_regular(path, str(path)))
    except (OSError, UnsafeFileError):
        return "unreadable"


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


def _writable_rel(value: object) -> bool:
    """A relative path inside principles/ or eval_cases/ (never `..`, never the folder itself), or
    one of the files `cstudio init` writes (ROOT_FILES)."""
    if not isinstance(value, str) or not value or os.path.isabs(value):
        return False
    if value in ROOT_FILES:
        return True
    parts = Path(value).parts
    return len(parts) >= 2 and parts[0] in _WRITABLE_DIRS and ".." not in parts and "." not in parts


def _safe_op(root: Path, op: object, txid: object) -> bool:
    """An entry this tool could have written: its `path` in principles/ or eval_cases/, `real`
    exactly where a write of that path lands now (through in-repo symlinks; the link itself for
    a deleted link), the temp file beside `real` with the tool's name for this transaction."""
    if not isinstance(op, dict) or not _writable_rel(op.get("path")):
        return False
    path, real, tmp, new = op.get("path"), op.get("real"), op.get("tmp"), op.get("new")
    if real is None:
        return tmp is None and new is None  # deleting what was not there
    if not isinstance(real, str) or not isinstance(path, str):
        return False
    try:
        lands = os.path.relpath(resolve_inside(root, path), root)
    except UnsafeFileError:
        return False
    if real != lands and not (new is None and real == path and os.path.islink(root / path)):
        return False
    if Path(real).parts[:1] in ((".git",), (STATE_DIR,)):
        return False
    if new is None:
        return tmp is None
    if not isinstance(tmp, str) or not isinstance(txid, str) or not isinstance(new, str):
        return False
    return Path(tmp).parent == Path(real).parent and Path(tmp).name == f".{Path(real).name}.{txid}.cstudio-tmp"


def _safe_record(root: Path, record: object) -> dict[str, object] | None:
    """The journal when every entry in it is one this tool could have written; None otherwise."""
    if not isinstance(record, dict) or record.get("state") not in ("preparing", "committed"):
        return None
    ops = record.get("ops")
    if not isinstance(ops, list) or not all(_safe_op(root, op, record.get("txid")) for op in ops):
        return None
    return record


def _set_aside(journal: Path, why: str, names: str) -> str:
    os.replace(journal, journal.with_name(f"{JOURNAL}.bad"))
    return (
        f"an interrupted write of {names} was not finished or undone: {why}; nothing was changed "
        f"(journal set aside to {STATE_DIR}/{JOURNAL}.bad); check those files (git status, git diff)"
    )


def _committed(root: Path, journal: Path, ops: list[dict[str, object]]) -> str:
    """Roll a committed journal forward, or back when nothing was applied yet, but only when every
    target is in the state the journal expects; otherwise change nothing and say which files."""
    names = ", ".join(str(op.get("path")) for op in ops)
    if any("old" not in op for op in ops):
        return _set_aside(journal, "it was written by an older cstudio (no record of the old contents)", names)
    applied, pending, odd = [], [], []
    for op in ops:
        real = root / str(op["real"]) if op.get("real") else None
        now = _state(real) if real is not None else None
        tmp = root / str(op["tmp"]) if op.get("tmp") else None
        if now == op.get("new") and (tmp is None or not os.path.lexists(tmp)):
            applied.append(op)
        elif now == op.get("old"):
            pending.append(op)
        else:
            odd.append(str(op.get("path")))
    if odd:
        return _set_aside(journal, f"{', '.join(odd)} changed since (neither the old nor the new version)", names)
    damaged = []
    for op in pending:  # what is left must be finishable from its temp, exactly as recorded
        tmp_rel = op.get("tmp")
        if tmp_rel is None:
            continue  # a delete still to do
        try:
            data = read_in_root(root, str(tmp_rel))
        except UnsafeFileError:
            data = None
        if data is None or _sha(data) != op.get("new"):
            damaged.append(str(op.get("path")))
    if not damaged:
        _apply(root, {"ops": pending})
        journal.unlink()
        return f"finished an interrupted write of {names}"
    if not applied:  # nothing replaced yet: undo (the old version stays)
        for op in ops:
            if op.get("tmp"):
                (root / str(op["tmp"])).unlink(missing_ok=True)
        journal.unlink()
        return f"an interrupted write of {names} was undone (nothing had changed)"
    return _set_aside(journal, f"the new content of {', '.join(damaged)} is missing or damaged", names)


def recover(root: Path) -> str | None:
    """Finish or undo a transaction a killed process left behind; a one-line note of what was done."""
    root = Path(os.path.realpath(root))
    journal = root / STATE_DIR / JOURNAL
    with constitution_lock(root) if os.path.lexists(journal) else nullcontext():
        note = _recover_journal(root, journal) if os.path.lexists(journal) else None
    swept = sweep_stale_temps(root)
    if swept and note is None:
        note = f"removed {plural(swept, 'temp file')} an interrupted write left behind"
    return note


def _recover_journal(root: Path, journal: Path) -> str | None:
    """Finish, undo or set aside the journal (called under the lock)."""
    if trusted_state_dir(root, JOURNAL) is None or not os.path.lexists(journal):
        return None  # untrusted (statedir warned once) or set aside unread: nothing replayed
    try:
        record = _safe_record(root, json.loads(read_in_root(root, f"{STATE_DIR}/{JOURNAL}") or b""))
    except (ValueError, UnsafeFileError):
        record = None
    if record is None:
        aside = journal.with_name(f"{JOURNAL}.bad")
        os.replace(journal, aside)
        return f"moved an unreadable write journal aside to {STATE_DIR}/{aside.name}; nothing was changed"
    listed = record["ops"]
    ops = [op for op in listed if isinstance(op, dict)] if isinstance(listed, list) else []
    if record["state"] == "preparing":  # no target was touched yet: remove the temps
        for op in ops:
            if op.get("tmp"):
                (root / str(op["tmp"])).unlink(missing_ok=True)
        journal.unlink()
        return "an interrupted write was undone (nothing had changed)"
    return _committed(root, journal, ops)
