"""`<root>/.cstudio/`: the tool's own state beside a constitution (caches, the write journal).

The folder ignores itself (a `.gitignore` holding `*`), so using the tool never adds
untracked files to `git status` in a user's repository, whatever their own .gitignore says.

A repository from a pull request or an unpacked archive can ship its own `.cstudio`: a
symlink to somewhere else (the tool would write there), a file, or planted contents
(poisoned scores or parses, a journal that would be replayed). Git cannot always tell
(no `.git` in an archive, git refusing a checkout owned by another user), so trust does not
rest on git: the tool marks each `.cstudio/` it creates with `owner`, an HMAC of the
folder's device, inode and owner under a per-user secret kept outside every repository
(`$XDG_STATE_HOME/constitution-studio/state.key`). A folder without a valid mark was not
made by this tool for this user in this place, and nothing in it is read. Git tracking
anything under `.cstudio/` is refused on top. `state_dir_problem` is the one check every
read and write of state goes through; when it names a problem the state is not used and one
warning says so. An unmarked folder of ours has its contents set aside unread, into one
`untrusted-*` folder: older ones are deleted, so copies never pile up.

The score cache can also live **outside** the repository, where a CI runner restores it
(another path, another user id, no owner mark): `CSTUDIO_SCORE_CACHE=DIR` names that folder.
It is the operator's choice, made in the environment, not something a repository can ship,
so it needs no mark; `external_cache_problem` refuses it when it is a symlink or not a folder,
and, inside the repository holding the constitution, when git tracks anything under it (it
came with the repository or a pull request) or cannot say.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import shutil
import stat
import subprocess
import time
from pathlib import Path

STATE_DIR = ".cstudio"
MARKER = "owner"
_IGNORE_TEXT = "# Constitution Studio's caches; safe to delete.\n*\n"
_KEY_BYTES = 32
_UNMARKED = f"{STATE_DIR} was not made by cstudio here (no valid {STATE_DIR}/{MARKER} mark)"
_ASIDE = "untrusted-"
KEEP_ASIDE = 1  # untrusted-* folders kept (the newest); older ones are deleted
SCORE_CACHE_ENV = "CSTUDIO_SCORE_CACHE"  # a score-cache folder outside the repository (CI)

_TRACKED_MEMO: dict[tuple[str, int], bool] = {}
_WARNED: set[tuple[str, str]] = set()
log = logging.getLogger("constitution_studio")


def _git_index_stamp(root: Path) -> tuple[Path, int] | None:
    """The git index of the repository holding `root`, and its mtime (None outside git)."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            index = dot_git / "index"
            try:
                return index, index.stat().st_mtime_ns
            except OSError:
                return index, 0
        if dot_git.is_file():  # worktree or submodule: ask git
            return dot_git, -1
    return None


def _tracked(root: Path) -> bool | None:
    """Whether git tracks anything under `<root>/.cstudio`; None when git cannot say.

    None covers no repository and every git failure (not installed, "dubious ownership",
    a broken index): the owner mark then decides alone, it is never read as "untracked".
    """
    stamp = _git_index_stamp(root)
    if stamp is None:
        return None
    key = (str(root), stamp[1])
    if stamp[1] >= 0 and key in _TRACKED_MEMO:
        return _TRACKED_MEMO[key]
    tracked = _git_tracks(root, STATE_DIR)
    if tracked is None:
        return None
    if stamp[1] >= 0:
        _TRACKED_MEMO[key] = tracked
    return tracked


def _key_file() -> Path | None:
    base = os.environ.get("XDG_STATE_HOME") or (
        os.path.join(os.path.expanduser("~"), ".local", "state") if os.path.expanduser("~") != "~" else ""
    )
    return Path(base) / "constitution-studio" / "state.key" if base else None


def _read_key(path: Path) -> bytes | None:
    """The key when it is a regular file of ours that nobody else can read or write."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return None
        data = os.read(fd, _KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == _KEY_BYTES else None


def _user_key(create: bool) -> bytes | None:
    """This user's secret for owner marks (made on first use, 0600); None when there is no place for it."""
    path = _key_file()
    if path is None:
        return None
    key = _read_key(path)
    if key is not None or not create:
        return key
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".state.key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            os.write(fd, secrets.token_bytes(_KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic: a racing process's key wins, both then read the same one
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        return None
    return _read_key(path)


def _mark(st: os.stat_result, key: bytes) -> str:
    message = f"cstudio-state-v1:{st.st_dev}:{st.st_ino}:{st.st_uid}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _marked(folder: Path, st: os.stat_result) -> bool:
    """Whether `folder` carries this user's owner mark for exactly this folder (device, inode, owner)."""
    if st.st_uid != os.geteuid():
        return False
    key = _user_key(create=False)
    if key is None:
        return False
    try:
        fd = os.open(folder / MARKER, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        found = os.read(fd, 200).decode("ascii", "replace").strip()
    except OSError:
        return False
    finally:
        os.close(fd)
    return hmac.compare_digest(found, _mark(st, key))


def _warn_once(root: Path, problem: str) -> None:
    memo = (os.path.realpath(root), problem)
    if memo not in _WARNED:
        _WARNED.add(memo)
        log.warning(
            f"not using {STATE_DIR}/ (caches, write journal, review notes): {problem}; "
            f"remove {STATE_DIR} to let cstudio make its own"
        )


def _problem(root: Path, inside: tuple[str, ...]) -> str | None:
    folder = root / STATE_DIR
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return f"{STATE_DIR} cannot be read ({exc.strerror})"
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            return f"{STATE_DIR} is a symlink"
        if not stat.S_ISDIR(st.st_mode):
            return f"{STATE_DIR} is not a folder"
        for name in inside:
            if (folder / name).is_symlink():
                return f"{STATE_DIR}/{name} is a symlink"
    if _tracked(root):
        return f"{STATE_DIR} is tracked by git (it came with the repository)"
    if st is not None and not _marked(folder, st):
        if st.st_uid == os.geteuid() and _adoptable(folder):
            if _user_key(create=True) is None:  # unmarkable: a journal written there could never be read
                return f"there is no place for cstudio's per-user key ({_key_file() or 'no home folder'})"
            return None  # nothing in it to trust yet: `ensure_state_dir` marks it
        if st.st_uid != os.geteuid():
            return f"{STATE_DIR} belongs to another user"
        return _UNMARKED
    return None


def state_dir_problem(root: Path, *inside: str) -> str | None:
    """Why `<root>/.cstudio` (and the entries named in `inside`) must not be used; None when trusted.

    Untrusted: `.cstudio` or a named entry is a symlink, `.cstudio` is not a folder, git
    tracks anything under it, or it lacks this user's owner mark (it was not made by this
    tool here: planted, unpacked, copied). A missing `.cstudio` is no problem (it is made,
    marked, on first use). The first problem per root is logged once as a warning.
    """
    root = Path(root)
    problem = _problem(root, inside)
    if problem is not None:
        _warn_once(root, problem)
    return problem


def _adoptable(folder: Path) -> bool:
    """A folder holding nothing to trust (empty, or only what `ensure_state_dir` writes first):
    one this tool was making when it was killed, or that a racing process is making now."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return all(n in (".gitignore", MARKER) or n.startswith((f".{MARKER}.", _ASIDE)) for n in names)


def _set_contents_aside(root: Path) -> str | None:
    """Move what an unmarked `.cstudio/` of ours holds into `.cstudio/untrusted-<time>/` (never read
    again), so the folder can be marked and used; the folder name, if anything was moved.

    Only a real folder owned by this user that git does not track (a copy, an unpacked archive,
    one made by an older cstudio); under the constitution's lock so no writer of ours is mid-way.
    """
    from constitution_studio.core.storage.locking import LockTimeoutError, constitution_lock

    folder = root / STATE_DIR
    try:
        with constitution_lock(root, timeout=2.0):
            if _problem(root, ()) != _UNMARKED or _user_key(create=True) is None:
                return None
            aside = folder / f"{_ASIDE}{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
            os.mkdir(aside, 0o700)
            for name in os.listdir(folder):
                if not name.startswith(_ASIDE):
                    os.rename(folder / name, aside / name)  # a symlink moves as a link: nothing followed
            _prune_aside(folder, keep=aside.name)
            return f"{STATE_DIR}/{aside.name}"
    except (OSError, LockTimeoutError):
        return None


def _prune_aside(folder: Path, keep: str) -> None:
    """Delete the `untrusted-*` folders but the newest KEEP_ASIDE (`keep` among them): what was set
    aside is never read, so older copies are only weight (a CI cache saved them again each run)."""
    older = sorted((n for n in os.listdir(folder) if n.startswith(_ASIDE) and n != keep), reverse=True)
    for name in older[max(KEEP_ASIDE - 1, 0) :]:
        path = folder / name
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path)  # removes links inside as links: nothing outside is touched


def external_cache_dir(root: Path) -> Path | None:
    """The folder `CSTUDIO_SCORE_CACHE` names (absolute), or None when it is not set."""
    value = os.environ.get(SCORE_CACHE_ENV, "").strip()
    return Path(os.path.abspath(os.path.expanduser(value))) if value else None


def external_cache_problem(folder: Path, root: Path) -> str | None:
    """Why the score-cache folder named by CSTUDIO_SCORE_CACHE must not be used (None: use it).

    No owner mark is asked for (a cache restored on another runner has another path and user);
    what is refused is what a repository could control: a symlink, something not a folder, or a
    folder inside the repository under which git tracks anything (or cannot say)."""
    from constitution_studio.core.paths import repo_top

    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return f"{SCORE_CACHE_ENV}={folder} cannot be read ({exc.strerror})"
    if st is not None and stat.S_ISLNK(st.st_mode):
        return f"{SCORE_CACHE_ENV}={folder} is a symlink"
    if st is not None and not stat.S_ISDIR(st.st_mode):
        return f"{SCORE_CACHE_ENV}={folder} is not a folder"
    real = os.path.realpath(folder)
    top = str(repo_top(root))
    if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
        # inside the checkout (a CI system that caches only there, e.g. GitLab): only a folder git
        # tracks nothing under, so it came from the cache, never with the repository or a PR
        tracked = _tracked_under(Path(top), os.path.relpath(real, top))
        if tracked is None:
            return f"{SCORE_CACHE_ENV}={folder} is inside the repository and git cannot say what it tracks there"
        if tracked:
            return f"{SCORE_CACHE_ENV}={folder} is tracked by git (it came with the repository)"
    return None


def _tracked_under(top: Path, relpath: str) -> bool | None:
    """Whether git tracks anything under `relpath` of the work tree at `top` (None: git cannot say)."""
    if not os.path.lexists(top / ".git"):
        return False  # not a git work tree after all: nothing is tracked
    return _git_tracks(top, relpath)


def _git_tracks(cwd: Path, relpath: str) -> bool | None:
    """`git ls-files` under `relpath`: whether git tracks anything there (None: git cannot say)."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        out = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "ls-files", "-z", "--", relpath],
            cwd=cwd,
            capture_output=True,
            timeout=10,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.stdout.strip(b"\0")) if out.returncode == 0 else None


def ensure_state_dir(root: Path) -> Path:
    """Create `<root>/.cstudio/` (0700) with its self-ignoring .gitignore and owner mark; returns it.

    Callers check `state_dir_problem` first; this raises OSError when it cannot be created.
    An existing folder is marked only when it holds nothing yet (see `_adoptable`).
    """
    folder = Path(root) / STATE_DIR
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(20, "not a folder", str(folder))
    ignore = folder / ".gitignore"
    if not os.path.lexists(ignore):
        ignore.write_text(_IGNORE_TEXT, encoding="utf-8")
    if not _marked(folder, st) and st.st_uid == os.geteuid() and _adoptable(folder):
        key = _user_key(create=True)
        if key is not None:
            tmp = folder / f".{MARKER}.{os.getpid()}.{secrets.token_hex(4)}"
            tmp.write_text(_mark(st, key) + "\n", encoding="ascii")
            os.replace(tmp, folder / MARKER)  # racing writers write the same mark
    return folder


def trusted_state_dir(root: Path, *inside: str) -> Path | None:
    """`<root>/.cstudio`, created if needed, or None when it is untrusted or cannot be created.

    An unmarked folder of ours (copied, unpacked, from an older cstudio) has its contents set
    aside unread (`_set_contents_aside`, one warning) and is then marked and used.
    """
    root = Path(root)
    if _problem(root, inside) == _UNMARKED:
        aside = _set_contents_aside(root)
        if aside is not None:
            memo = (os.path.realpath(root), f"aside:{aside}")
            if memo not in _WARNED:
                _WARNED.add(memo)
                log.warning(
                    f"{STATE_DIR}/ was not made by cstudio here (copied, unpacked or planted): "
                    f"moved what it held to {aside}/ unread; cstudio uses the folder from now on"
                )
    if state_dir_problem(root, *inside) is not None:
        return None
    try:
        folder = ensure_state_dir(root)
    except OSError:
        return None
    if state_dir_problem(root, *inside) is not None:  # e.g. no place for this user's key
        return None
    return folder
