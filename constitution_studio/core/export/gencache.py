"""Content-addressed cache of generations: SQLite under `<root>/.cstudio/generations.sqlite`.

A pure speed-up, never authoritative: it is used only where `.cstudio/` is trusted
(statedir.py: made by this tool for this user, not a symlink, not tracked by git); otherwise
generations are kept in memory for the run, and one warning says so. Writes commit one
generation at a time, so a cancelled `revise` keeps every text it finished.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from constitution_studio.core.statedir import STATE_DIR, state_dir_problem, trusted_state_dir

CACHE_FILE = "generations.sqlite"
KEY_VERSION = 1
log = logging.getLogger("constitution_studio")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    generator TEXT NOT NULL,
    created REAL NOT NULL
);
"""


def generation_key(
    generator: str, messages: Sequence[Mapping[str, Any]], *, temperature: float, seed: int, max_new_tokens: int
) -> str:
    """Everything a generation depends on. The seed counts only when sampling (greedy ignores it)."""
    fields = [KEY_VERSION, generator, list(map(dict, messages)), temperature, max_new_tokens]
    if temperature > 0:
        fields.append(seed)
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def state_db_problem(root: Path) -> str | None:
    """Why `<root>/.cstudio/generations.sqlite` must not be used (statedir.py's trust rules, and
    the file itself not a symlink); None when it may be read (it may not exist yet)."""
    problem = state_dir_problem(root, CACHE_FILE)
    if problem is None and (Path(root) / STATE_DIR / CACHE_FILE).is_symlink():
        problem = f"{CACHE_FILE} is a symlink"
    return problem


def open_state_db(root: Path, schema: str, table: str) -> tuple[sqlite3.Connection | None, str | None]:
    """generations.sqlite under a trusted `.cstudio/` (made if needed), WAL mode, with `schema`
    applied and its `table` readable: (connection, None), or (None, why not). The one opener of
    the file for writing (the cache and the revision record)."""
    problem = state_db_problem(root)
    if problem is None and trusted_state_dir(root) is None:
        problem = f"{STATE_DIR}/ cannot be created"
    if problem is not None:
        return None, problem
    db: sqlite3.Connection | None = None
    try:
        db = sqlite3.connect(str(Path(root) / STATE_DIR / CACHE_FILE), timeout=10.0, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
        db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # our own table name, never input
    except sqlite3.DatabaseError as exc:
        if db is not None:
            db.close()
        return None, f"{CACHE_FILE} is unusable ({exc})"
    return db, None


class GenerationCache:
    """key -> text; in memory when `.cstudio/` is not trusted or `use` is False."""

    def __init__(self, root: Path | None, *, use: bool = True) -> None:
        self.note: str | None = None
        db: sqlite3.Connection | None = None
        if root is not None and use:
            db, problem = open_state_db(root, _SCHEMA, "generations")
            if db is None:
                self.note = f"not using the generation cache: {problem}; generations are kept for this run only"
                log.warning(self.note)
        self._db = db if db is not None else sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript(_SCHEMA)

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT text FROM generations WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, text: str, generator: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO generations VALUES (?, ?, ?, ?)", (key, text, generator, time.time())
            )

    def close(self) -> None:
        self._db.close()
