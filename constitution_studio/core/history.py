"""History of one principle: the commits that changed it, newest first, followed by ID.

One `git log --raw` over principles/ and eval_cases/ lists every file change with its old and
new blob ids; a principle is found in a blob by its `id`, never by its file name, so a file
rename (or a delete + add of another name) keeps the history going. Blobs are read once each
(cached by sha). Kinds are the diff's: added, removed, reworded, fields, moved (by the diff's
longest-common-subsequence rule, from constitution.yaml), links (a case file change that
links or unlinks a case). A commit that touched the file but no field (comments, layout)
is listed with no kinds. A merge is listed through the commits it merges, and on its own when
it holds a version of the file that none of its parents had (a conflict resolved with new
wording): `--cc` shows exactly those files, compared here with the first parent's.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, Field

from constitution_studio.core.diff import PRINCIPLE_FIELDS, PrincipleKind, moved_ids
from constitution_studio.core.gitobjects import read_blobs
from constitution_studio.core.source import CASES_DIR, CONSTITUTION_FILE, PRINCIPLES_DIR
from constitution_studio.core.versions import RepoLocation, check_ref_syntax, open_repo, resolve_ref_in
from constitution_studio.core.yamldoc import load_fast
from constitution_studio.errors import BadInputError

_NULL_SHA = "0" * 40
_ID_LINE = re.compile(rb"^id:[ \t]*[\"']?([^\s\"'#]+)", re.MULTILINE)


class LogEntry(BaseModel):
    """One commit that changed a principle."""

    hash: str
    short: str
    author: str
    date: str = Field(description="Author date, ISO 8601.")
    subject: str
    changes: list[PrincipleKind] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    path: str | None = Field(default=None, description="Root-relative file of the principle at that commit.")
    path_before: str | None = None
    rank_before: int | None = None
    rank_after: int | None = None
    boundary: bool = Field(
        default=False,
        description="The oldest commit of a shallow clone: history starts here, the principle may be older.",
    )


@dataclass
class _Change:
    status: str
    old: str  # blob sha or _NULL_SHA
    new: str
    path: str  # root-relative


@dataclass
class _Commit:
    sha: str
    author: str
    date: str
    subject: str
    changes: list[_Change] = field(default_factory=list)


class _Blobs:
    """Blob contents and parses, each read once per call."""

    def __init__(self, loc: RepoLocation) -> None:
        self._loc = loc
        self._raw: dict[str, bytes] = {}
        self._data: dict[str, Any] = {}

    def prefetch(self, shas: list[str]) -> None:
        """Read these blobs in one batch (one git process) instead of one round trip each."""
        self._raw.update(read_blobs(self._loc.repo, [s for s in shas if s != _NULL_SHA and s not in self._raw]))

    def raw(self, sha: str) -> bytes:
        if sha not in self._raw:
            self._raw[sha] = self._loc.repo.odb.stream(bytes.fromhex(sha)).read()
        return self._raw[sha]

    def data(self, sha: str) -> Any:
        if sha not in self._data:
            try:
                self._data[sha] = load_fast(self.raw(sha).decode("utf-8"))
            except (UnicodeDecodeError, BadInputError):
                self._data[sha] = None
        return self._data[sha]

    def principle_id(self, sha: str) -> str | None:
        raw = self.raw(sha)
        match = _ID_LINE.search(raw)
        if match:
            return match.group(1).decode("utf-8", "replace")
        data = self.data(sha)  # id written some other way (flow mapping, odd quoting)
        return str(data.get("id")) if isinstance(data, dict) and data.get("id") is not None else None


def _git_log(loc: RepoLocation, sha: str, limit: int | None) -> list[_Commit]:
    paths = [loc.path(PRINCIPLES_DIR), loc.path(CASES_DIR)]
    # Records start with a marker no commit message can predict (a subject may hold any byte but NUL).
    marker = f"@cstudio-{secrets.token_hex(12)}@"
    args = ["-z", "--raw", "--cc", "--no-renames", "--no-abbrev", f"--format={marker}%H%x00%an%x00%aI%x00%s"]
    out = loc.repo.git.log(*args, sha, "--", *paths)
    cut = len(loc.prefix) + 1 if loc.prefix else 0
    commits: list[_Commit] = []
    for record in out.split(marker)[1:]:
        parts = record.split("\0")
        commit = _Commit(sha=parts[0], author=parts[1], date=parts[2], subject=parts[3])
        i = 4
        while i + 1 < len(parts):
            meta = parts[i].strip()
            if not meta.startswith(":"):
                i += 1
                continue
            # ":<mode> <mode> <old> <new> <status>", or for a merge of n parents (--cc) n colons,
            # n + 1 modes, n + 1 shas (each parent's, then the merge's) and n status letters
            parents = len(meta) - len(meta.lstrip(":"))
            fields = meta[parents:].split(" ")
            old, new = fields[parents + 1], fields[2 * parents + 1]  # first parent's -> the merge's
            status = "A" if old == _NULL_SHA else "D" if new == _NULL_SHA else fields[-1][:1]
            commit.changes.append(_Change(status=status, old=old, new=new, path=parts[i + 1][cut:]))
            i += 2
        commits.append(commit)
    return commits


_PRIORITY_KEY = re.compile(rb"^priority:[ \t]*(#.*)?$", re.MULTILINE)
_PRIORITY_ITEMS = re.compile(rb"^[ \t]*-[ \t]+([A-Za-z0-9_-]+)[ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE)
_COMMENT_LINES = re.compile(rb"^[ \t]*#[^\n]*$", re.MULTILINE)
_TOP_LEVEL = re.compile(rb"^[^\s#-]", re.MULTILINE)


def _priority_fast(raw: bytes) -> list[str] | None:
    """The block list under `priority:` read with two regexes (100x faster than building the
    YAML tree of a 1,000-item list); None when the file is written some other way."""
    keys = _PRIORITY_KEY.findall(raw)
    if len(keys) != 1:
        return None
    match = _PRIORITY_KEY.search(raw)
    assert match is not None
    block = raw[match.end() :]
    top = _TOP_LEVEL.search(block)
    if top is not None:
        block = block[: top.start()]
    items = _PRIORITY_ITEMS.findall(block)
    rest = _COMMENT_LINES.sub(b"", _PRIORITY_ITEMS.sub(b"", block))
    return [i.decode() for i in items] if not rest.strip() else None


def _priority(blobs: _Blobs, sha: str) -> list[str]:
    if sha == _NULL_SHA:
        return []
    fast = _priority_fast(blobs.raw(sha))
    if fast is not None:
        return fast
    data = blobs.data(sha)
    prio = data.get("priority") if isinstance(data, dict) else None
    return [str(p) for p in prio] if isinstance(prio, list) else []


def _linked_cases(blobs: _Blobs, sha: str, principle_id: str) -> set[str]:
    if sha == _NULL_SHA or principle_id.encode() not in blobs.raw(sha):
        return set()
    data = blobs.data(sha)
    cases = data.get("cases") if isinstance(data, dict) else None
    linked = set()
    for case in cases if isinstance(cases, list) else []:
        if isinstance(case, dict) and isinstance(case.get("principles"), list) and principle_id in case["principles"]:
            linked.add(str(case.get("id")))
    return linked


def _is_principle_file(path: str) -> bool:
    p = PurePosixPath(path)
    return str(p.parent) == PRINCIPLES_DIR and p.suffix in (".yaml", ".yml") and path != CONSTITUTION_FILE


def _entry(commit: _Commit, blobs: _Blobs, pid: str, exists_after: bool) -> tuple[LogEntry | None, bool]:
    """The log entry of one commit (None when it did not touch `pid`), and whether `pid` existed before it."""
    old_sha = new_sha = None
    old_path = new_path = None
    prio: tuple[list[str], list[str]] | None = None
    links_old: set[str] = set()
    links_new: set[str] = set()
    for ch in commit.changes:
        if ch.path == CONSTITUTION_FILE:
            prio = (_priority(blobs, ch.old), _priority(blobs, ch.new))
        elif _is_principle_file(ch.path):
            if ch.old != _NULL_SHA and blobs.principle_id(ch.old) == pid:
                old_sha, old_path = ch.old, ch.path
            if ch.new != _NULL_SHA and blobs.principle_id(ch.new) == pid:
                new_sha, new_path = ch.new, ch.path
        elif str(PurePosixPath(ch.path).parent) == CASES_DIR:
            links_old |= _linked_cases(blobs, ch.old, pid)
            links_new |= _linked_cases(blobs, ch.new, pid)
    touched = old_sha is not None or new_sha is not None
    exists_before = old_sha is not None if touched else exists_after
    kinds: list[PrincipleKind] = []
    fields: list[str] = []
    if touched and old_sha is None:
        kinds.append("added")
    elif touched and new_sha is None:
        kinds.append("removed")
    elif old_sha is not None and new_sha is not None and old_sha != new_sha:
        old, new = blobs.data(old_sha), blobs.data(new_sha)
        old = old if isinstance(old, dict) else {}
        new = new if isinstance(new, dict) else {}
        if old.get("statement") != new.get("statement"):
            kinds.append("reworded")
        fields = [name for name in PRINCIPLE_FIELDS if old.get(name) != new.get(name)]
        if fields:
            kinds.append("fields")
    rank_before = rank_after = None
    if prio is not None:
        before, after = prio
        rank_before = before.index(pid) + 1 if pid in before else None
        rank_after = after.index(pid) + 1 if pid in after else None
        present_both = exists_before and exists_after and "added" not in kinds and "removed" not in kinds
        if present_both and (pid in moved_ids(before, after) or (rank_before is None) != (rank_after is None)):
            kinds.append("moved")
    if exists_before and exists_after and links_old != links_new and not {"added", "removed"} & set(kinds):
        kinds.append("links")
    if not touched and not kinds:
        return None, exists_before
    entry = LogEntry(
        hash=commit.sha,
        short=commit.sha[:7],
        author=commit.author,
        date=commit.date,
        subject=commit.subject,
        changes=kinds,
        fields=fields,
        path=new_path or old_path,
        path_before=old_path,
        rank_before=rank_before,
        rank_after=rank_after,
    )
    return entry, exists_before


def _path_at(loc: RepoLocation, sha: str, blobs: _Blobs, pid: str) -> str | None:
    """Root-relative file holding `pid` at commit `sha`, or None."""
    tree = loc.repo.commit(sha).tree
    try:
        folder = tree / loc.path(PRINCIPLES_DIR)
    except KeyError:
        return None
    files = {name: binsha.hex() for binsha, _mode, name in folder._cache if name.endswith((".yaml", ".yml"))}
    files.pop("constitution.yaml", None)
    first = files.pop(f"{pid}.yaml", None)
    if first is not None and blobs.principle_id(first) == pid:
        return f"{PRINCIPLES_DIR}/{pid}.yaml"
    for name, blob in sorted(files.items()):
        if pid.encode() in blobs.raw(blob) and blobs.principle_id(blob) == pid:
            return f"{PRINCIPLES_DIR}/{name}"
    return None


def _shallow_commits(loc: RepoLocation) -> set[str]:
    """The boundary commits of a shallow clone (empty for a full clone)."""
    try:
        text = (Path(loc.repo.common_dir) / "shallow").read_text(encoding="ascii", errors="replace")
    except OSError:
        return set()
    return {line.strip() for line in text.splitlines() if line.strip()}


def principle_log(root: Path, principle_id: str, limit: int | None = None, ref: str = "HEAD") -> list[LogEntry]:
    """Commits reachable from `ref` that changed `principle_id`, newest first (empty when none)."""
    check_ref_syntax(ref)
    if limit is not None and limit < 1:
        raise BadInputError(f"the limit must be at least 1 (got {limit})")
    with open_repo(root) as loc:
        sha = resolve_ref_in(loc, ref)
        blobs = _Blobs(loc)
        path = _path_at(loc, sha, blobs, principle_id)
        exists = path is not None
        entries: list[LogEntry] = []
        commits = _git_log(loc, sha, None)
        blobs.prefetch([s for c in commits for ch in c.changes for s in (ch.old, ch.new)])
        shallow = _shallow_commits(loc)
        for commit in commits:
            entry, exists = _entry(commit, blobs, principle_id, exists)
            if entry is not None:
                if commit.sha in shallow and "added" in entry.changes:
                    # git shows a shallow clone's oldest commit as adding every file
                    entry.changes = [k for k in entry.changes if k != "added"]
                    entry.boundary = True
                if entry.path is None:
                    entry.path = path
                elif entry.path_before is not None:
                    path = entry.path_before
                entries.append(entry)
                if limit is not None and len(entries) >= limit:
                    break
    return entries
