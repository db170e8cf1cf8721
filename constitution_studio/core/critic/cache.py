"""Content-addressed score cache: SQLite (WAL) under `<root>/.cstudio/critic.sqlite`.

Keys hash everything a score depends on (model identity, template set id + hash, variant,
scoring method, principle wording, case content); values are raw probabilities before any
per-principle calibration, so re-calibrating never invalidates the cache. Writes are
committed per batch, so an interrupted run keeps what it finished. Device and dtype are
not part of the key (see docs/critic.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from constitution_studio.core.statedir import (
    STATE_DIR,
    external_cache_dir,
    external_cache_problem,
    state_dir_problem,
    trusted_state_dir,
)

CACHE_DIR = STATE_DIR
CACHE_FILE = "critic.sqlite"
CACHE_LOCK_TIMEOUT_S = 10.0
log = logging.getLogger("constitution_studio")
_CHUNK = 5000 if sqlite3.sqlite_version_info >= (3, 32) else 900  # host parameters per query (older: 999)
SCHEMA_VERSION = 3  # bump when prompt assembly or tokenization changes (ids, not only text)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    key TEXT PRIMARY KEY,
    probability REAL NOT NULL,
    model TEXT NOT NULL,
    template TEXT NOT NULL,
    method TEXT NOT NULL,
    variant TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def score_key(
    *, model: str, template: str, method: str, variant: str, statement: str, case_hash: str, kind: str
) -> str:
    """The content address of one score."""
    return score_key_from(score_key_prefix(model, template, method, variant, statement), case_hash, kind)


def score_key_prefix(model: str, template: str, method: str, variant: str, statement: str) -> str:
    """The part of a score's key shared by every case judged with one wording and judge.

    Length-prefixed fields: unambiguous whatever a field contains, and cheaper than JSON. A
    batch computes it once per (wording, judge, method) instead of once per case."""
    fields = (str(SCHEMA_VERSION), model, template, method, variant, text_hash(statement))
    return "".join([f"{len(f)}:{f}" for f in fields])


def score_key_from(prefix: str, case_hash: str, kind: str) -> str:
    """The key of one case under a `score_key_prefix` (the case's hash and kind close the fields)."""
    return hashlib.sha256(f"{prefix}{len(case_hash)}:{case_hash}{len(kind)}:{kind}".encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    key: str
    probability: float
    model: str
    template: str
    method: str
    variant: str


class ScoreCache:
    """A tiny key -> probability store; safe to open from several processes (WAL).

    Never trusted blindly and never fatal: when `.cstudio/` is untrusted (a symlink, not a
    folder, tracked by git: see statedir) or the cache file is a symlink, scores are kept in
    memory for this run only; a corrupt or truncated file is moved aside and rebuilt; a cache
    locked by another process for too long is skipped. Each says so in one warning line.
    """

    def __init__(self, path: Path, *, root: Path | None = None, refused: str | None = None) -> None:
        self.path = path
        self.note: str | None = None
        problem = refused or (state_dir_problem(root, CACHE_FILE) if root is not None else None)
        if problem is None and path.is_symlink():
            problem = f"{path.name} is a symlink"
        if problem is None and root is not None and trusted_state_dir(root) is None:
            problem = f"{CACHE_DIR}/ cannot be created"
        if problem is None and root is None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                ignore = path.parent / ".gitignore"
                if not os.path.lexists(ignore):  # keep the cache out of the user's git repo
                    ignore.write_text("# written by cstudio: the critic's score cache\n*\n", encoding="utf-8")
            except OSError as exc:
                problem = f"{path.parent} cannot be written ({exc.strerror})"
        if problem is not None:
            self._warn(f"not using the score cache: {problem}; scores are kept for this run only")
            self._db = self._memory()
            return
        try:
            self._db = self._open(path)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                self._warn(
                    f"the score cache {path.name} is locked by another process; scores are kept for this run only"
                )
                self._db = self._memory()
                return
            self._db = self._rebuild(path, exc)
        except sqlite3.DatabaseError as exc:
            self._db = self._rebuild(path, exc)

    def _warn(self, message: str) -> None:
        self.note = message
        log.warning(message)

    @staticmethod
    def _memory() -> sqlite3.Connection:
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.executescript(_SCHEMA)
        return db

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(str(path), timeout=CACHE_LOCK_TIMEOUT_S, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: a warm run reads ~100,000 keys
            db.execute("PRAGMA mmap_size=268435456")
            db.executescript(_SCHEMA)
            db.execute("SELECT COUNT(*) FROM scores").fetchone()
            db.commit()
        except BaseException:
            db.close()
            raise
        return db

    def _rebuild(self, path: Path, exc: BaseException) -> sqlite3.Connection:
        """Move a broken cache file (and its WAL files) aside and start an empty one."""
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        try:
            for suffix in ("", "-wal", "-shm"):
                part = path.with_name(path.name + suffix)
                if os.path.lexists(part):
                    os.replace(part, aside.with_name(aside.name + suffix))
            db = self._open(path)
        except (OSError, sqlite3.Error) as again:
            self._warn(f"the score cache {path.name} is unusable ({again}); scores are kept for this run only")
            return self._memory()
        self._warn(f"the score cache was unreadable ({exc}); moved it aside to {aside.name} and started a new one")
        return db

    @classmethod
    def for_root(cls, root: Path) -> ScoreCache:
        """`<root>/.cstudio/critic.sqlite`, or the one in the folder CSTUDIO_SCORE_CACHE names
        (outside the repository: a CI runner's restored cache; see statedir)."""
        external = external_cache_dir(Path(root))
        if external is None:
            return cls(Path(root) / CACHE_DIR / CACHE_FILE, root=Path(root))
        return cls(external / CACHE_FILE, refused=external_cache_problem(external, Path(root)))

    def get_many(self, keys: Sequence[str]) -> dict[str, float]:
        """The cached probability of each key that has one.

        Keys are looked up in sorted order (neighbouring B-tree pages, about twice as fast for a
        whole version's 120,000 keys) and in large chunks where SQLite allows many parameters."""
        found: dict[str, float] = {}
        wanted = sorted(set(keys))
        try:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                # `probability` is REAL NOT NULL: rows come back as (str, float)
                found.update(self._db.execute(f"SELECT key, probability FROM scores WHERE key IN ({marks})", chunk))
        except sqlite3.Error as exc:
            self._fail(exc)
            return {}
        return found

    def _fail(self, exc: sqlite3.Error) -> None:
        """A cache that breaks mid-run: keep going without it (scores in memory), say so once."""
        self._warn(f"the score cache failed ({exc}); scores are kept for this run only")
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._db = self._memory()

    def put_many(self, entries: Iterable[Entry]) -> None:
        """Insert and commit (one transaction per call, i.e. per scored batch)."""
        now = time.time()
        rows = [(e.key, e.probability, e.model, e.template, e.method, e.variant, now) for e in entries]
        if not rows:
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            self._fail(exc)
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def clear(self) -> int:
        """Delete every entry; a cache another process holds locked is left alone (BadInputError, exit 2)."""
        from constitution_studio.errors import BadInputError

        def busy(exc: sqlite3.DatabaseError) -> bool:
            return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))

        try:
            with self._db:
                n = int(self._db.execute("DELETE FROM scores").rowcount)
        except sqlite3.DatabaseError as exc:
            if busy(exc):  # alive and in use, not corrupt: never moved aside
                raise BadInputError(
                    "the score cache is busy (another cstudio process is writing it); nothing was cleared, try again",
                    path=str(self.path),
                ) from None
            self._db.close()  # corrupt beyond what opening noticed
            self._db = self._rebuild(self.path, exc)
            return 0
        try:
            self._db.execute("VACUUM")
        except sqlite3.DatabaseError as exc:
            if not busy(exc):  # the entries are gone either way; a busy VACUUM waits for a later clear
                self._db.close()
                self._db = self._rebuild(self.path, exc)
        return n

    def judge_seen(self, name: str) -> tuple[str, float] | None:
        """(fingerprint, when) of the served judge `name` last seen with this cache, if any."""
        try:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (f"judge:{name}",)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        try:
            doc = json.loads(row[0])
            return str(doc["fingerprint"]), float(doc["since"])
        except (ValueError, KeyError, TypeError):
            return None

    def record_judge(self, name: str, fingerprint: str) -> None:
        value = json.dumps({"fingerprint": fingerprint, "since": time.time()})
        try:
            with self._db:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"judge:{name}", value))
        except sqlite3.Error as exc:
            self._fail(exc)

    def stats(self) -> dict[str, object]:
        total = self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        groups = self._db.execute(
            "SELECT model, template, method, variant, COUNT(*) FROM scores "
            "GROUP BY model, template, method, variant ORDER BY COUNT(*) DESC"
        ).fetchall()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return {
            "path": str(self.path),
            "entries": int(total),
            "bytes": int(size),
            "groups": [
                {"model": m, "template": t, "method": me, "variant": v, "entries": int(n)} for m, t, me, v, n in groups
            ],
        }

    def close(self) -> None:
        self._db.close()
