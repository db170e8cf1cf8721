"""Versions of a constitution from git: any ref read straight from git objects.

Nothing here checks out, writes the index or touches the work tree: trees and blobs are
read through GitPython's object database (one long-lived `git cat-file --batch` process),
and refs are resolved with `git rev-parse --verify`. `WORKTREE` is the folder on disk.
Every ref is checked before it reaches git: a ref starting with `-` is refused, so it can
never be read as an option, and no shell is ever involved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

import git
from gitdb.exc import BadName, BadObject
from pydantic import BaseModel, ValidationError

from constitution_studio.core.diff import ConstitutionDiff, structural_diff
from constitution_studio.core.gitobjects import parse_cache_for, read_blobs
from constitution_studio.core.gittree import TreeResolver, kind_of
from constitution_studio.core.models import Principle
from constitution_studio.core.source import PRINCIPLES_DIR, WORKTREE, DirSource, Source, is_yaml_name
from constitution_studio.core.storage.safe_paths import UnsafeFileError
from constitution_studio.core.workspace import Workspace, load_workspace
from constitution_studio.core.yamldoc import YamlSyntaxError, decode, load_fast
from constitution_studio.errors import BadInputError, NoRepositoryError, RefError

UNSHALLOW_HINT = "fetch with full depth: git fetch --unshallow"


class RefInfo(BaseModel):
    """One entry of the TUI's ref picker."""

    name: str
    kind: Literal["worktree", "branch", "remote", "tag", "commit"]
    sha: str | None
    short: str | None
    subject: str = ""
    date: str | None = None  # ISO 8601 committer date


@dataclass(frozen=True)
class RepoLocation:
    """The git repository holding a constitution root, and the root's path inside it."""

    repo: git.Repo
    prefix: str  # POSIX path of the root relative to the work tree; "" at the top

    def path(self, relpath: str) -> str:
        return f"{self.prefix}/{relpath}" if self.prefix else relpath


# --- opening the repository ---------------------------------------------------------------


def _open(root: Path) -> RepoLocation:
    root = Path(root).resolve()
    if not root.is_dir():
        raise RefError(f"{root} is not a folder")
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NoRepositoryError(f"{root} is not inside a git repository; only WORKTREE can be read there") from None
    if repo.working_tree_dir is None:
        repo.close()
        raise RefError(f"{root} is inside a bare repository; run from a clone with a work tree")
    top = Path(repo.working_tree_dir).resolve()
    try:
        rel = root.relative_to(top)
    except ValueError:
        repo.close()
        raise RefError(f"{root} is outside the git repository at {top}") from None
    return RepoLocation(repo=repo, prefix=rel.as_posix() if rel.parts else "")


@contextmanager
def open_repo(root: Path) -> Iterator[RepoLocation]:
    """The repository containing `root`; its git helper processes end with the block."""
    loc = _open(root)
    try:
        yield loc
    finally:
        loc.repo.close()


def check_ref_syntax(ref: str) -> None:
    """Refuse what must never reach git: option-like refs, control characters, empty names."""
    if not ref or not ref.strip():
        raise RefError("empty ref")
    if ref.startswith("-"):
        raise RefError(f"ref {ref!r} starts with '-'; refusing to pass it to git")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in ref):
        raise RefError(f"ref {ref!r} contains control characters")


def _is_shallow(repo: git.Repo) -> bool:
    return (Path(repo.common_dir) / "shallow").is_file()


def resolve_ref_in(loc: RepoLocation, ref: str) -> str:
    """`resolve_ref` with an open repository."""
    check_ref_syntax(ref)
    if ref == WORKTREE:
        raise RefError(f"{WORKTREE} is the work tree, not a commit")
    try:
        out = loc.repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except git.GitCommandError as exc:
        # --quiet keeps git silent for an unknown ref; anything it says is another problem
        # (e.g. "detected dubious ownership" in CI containers): pass its first line on.
        fatal = [line.strip() for line in str(exc.stderr or "").splitlines() if "fatal:" in line]
        if fatal:
            message = fatal[0].split("fatal:", 1)[1].strip()
            if "dubious ownership" in message:
                message += f"; trust it with: git config --global --add safe.directory {loc.repo.working_tree_dir}"
            raise RefError(f"git could not read {ref!r}: {message}") from None
        out = ""
    sha = out.strip()
    if len(sha) != 40:
        if _is_shallow(loc.repo):
            raise RefError(f"{ref!r} is not in this shallow clone; {UNSHALLOW_HINT}")
        raise RefError(f"unknown ref {ref!r}: not a branch, tag or commit of {loc.repo.working_tree_dir}")
    try:
        loc.repo.commit(sha).tree  # noqa: B018 - make sure the objects are really there
    except (ValueError, BadName, BadObject):
        raise RefError(f"commit {sha[:12]} of {ref!r} is missing its objects; {UNSHALLOW_HINT}") from None
    return sha


def resolve_ref(root: Path, ref: str) -> str:
    """Full commit sha of `ref` in the repository containing `root`; RefError otherwise."""
    with open_repo(root) as loc:
        return resolve_ref_in(loc, ref)


# --- a version read from git objects ------------------------------------------------------


class GitSource:
    """One commit's constitution, read from git objects (never checked out).

    `fingerprint` is the blob sha, so parses can be cached across versions by content. Symlinks
    stored in the tree are followed as the work tree follows them (core/gittree.py): a link to a
    file inside the constitution root reads that file, and one that leaves the root, dangles or
    names a folder is refused with the same finding `DirSource` gives.
    """

    def __init__(self, loc: RepoLocation, sha: str, label: str) -> None:
        self._loc = loc
        self._label = label
        self.commit = sha
        self._folders: dict[str, dict[str, bytes | UnsafeFileError]] = {}
        self._problems: dict[str, UnsafeFileError] = {}
        self._raw: dict[str, bytes] = {}
        self._trees: dict[str, str] = {}
        self.parse_cache = parse_cache_for(loc.repo)
        self._resolver = TreeResolver(loc.repo, sha)

    @property
    def label(self) -> str:
        return self._label

    def _inside(self, path: str) -> bool:
        prefix = self._loc.prefix
        return not prefix or path == prefix or path.startswith(prefix + "/")

    def _through_link(self, relpath: str) -> bytes | UnsafeFileError:
        """The blob a symlinked `relpath` resolves to, or the refusal the work tree would give."""
        found = self._resolver.resolve(self._loc.path(relpath))
        if found.kind == "outside" or not self._inside(found.path):
            return UnsafeFileError(
                "is a symlink to a file outside the constitution root; refusing to read or write it",
                code="outside-root",
                path=relpath,
            )
        if found.kind == "missing" or found.sha is None:
            return UnsafeFileError("is a symlink to a file that does not exist", code="unreadable-file", path=relpath)
        if found.kind == "tree":
            return UnsafeFileError("is a folder, not a file", code="not-regular-file", path=relpath)
        return bytes.fromhex(found.sha)

    def _folder(self, folder: str) -> dict[str, bytes | UnsafeFileError]:
        """File name -> binary blob sha (or why it is refused) of the files directly in `folder`."""
        if folder not in self._folders:
            entries: dict[str, bytes | UnsafeFileError] = {}
            found = self._resolver.resolve(self._loc.path(folder))
            if found.kind == "outside" or (found.kind == "tree" and not self._inside(found.path)):
                self._problems[folder] = UnsafeFileError(
                    f"{folder}/ is a symlink to a folder outside the constitution root; nothing in it is read",
                    code="outside-root",
                    path=folder,
                )
            elif found.kind == "tree" and found.sha is not None:
                self._trees[folder] = found.sha
                for name, binsha, mode in self._resolver.listing(found.path):
                    kind = kind_of(mode)
                    if kind == "blob":
                        entries[name] = binsha
                    elif kind == "link" and is_yaml_name(name):
                        entries[name] = self._through_link(f"{folder}/{name}")
                    elif kind == "tree" and is_yaml_name(name):
                        entries[name] = UnsafeFileError(
                            "is a folder, not a file", code="not-regular-file", path=f"{folder}/{name}"
                        )
            self._folders[folder] = entries
        return self._folders[folder]

    def folder_problem(self, folder: str) -> UnsafeFileError | None:
        """Why `folder` itself is not read (a symlink out of the root), as DirSource says it."""
        self._folder(folder)
        return self._problems.get(folder)

    def save_parse_cache(self) -> None:
        """After loading: keep the parses of each folder read, for the next process."""
        for folder, tree_sha in self._trees.items():
            entries = self._folders[folder]
            shas = [b.hex() for n, b in entries.items() if is_yaml_name(n) and isinstance(b, bytes)]
            self.parse_cache.save_tree(tree_sha, shas)

    def _blob(self, relpath: str) -> bytes | UnsafeFileError | None:
        path = PurePosixPath(relpath)
        return self._folder(str(path.parent)).get(path.name)

    def list_yaml(self, folder: str) -> list[str]:
        entries = self._folder(folder)
        if folder in self._trees:
            self.parse_cache.load_tree(self._trees[folder])
        names = sorted(n for n in entries if is_yaml_name(n))
        # The loader will read every file whose parse is not cached: fetch those in one batch.
        blobs = [b.hex() for n in names if isinstance(b := entries[n], bytes)]
        self._raw.update(read_blobs(self._loc.repo, [h for h in blobs if self.parse_cache.get(None, h) is None]))
        return [f"{folder}/{name}" for name in names]

    def read(self, relpath: str) -> bytes | None:
        binsha = self._blob(relpath)
        if binsha is None:
            return None
        if isinstance(binsha, UnsafeFileError):
            raise binsha
        raw = self._raw.get(binsha.hex())
        return raw if raw is not None else self._loc.repo.odb.stream(binsha).read()

    def fingerprint(self, relpath: str) -> str | None:
        binsha = self._blob(relpath)
        return binsha.hex() if isinstance(binsha, bytes) else None


def check_worktree_name(loc: RepoLocation) -> None:
    """`WORKTREE` means the folder on disk; a branch or tag of that name makes it ambiguous, and
    reading either silently would be a guess: RefError naming both."""
    try:
        out = loc.repo.git.for_each_ref("--format=%(refname)", "refs/heads/WORKTREE", "refs/tags/WORKTREE")
    except git.GitCommandError:
        return  # git cannot list refs here, so it cannot read a branch of that name either
    names = [ln.strip() for ln in out.splitlines() if ln.strip() in ("refs/heads/WORKTREE", "refs/tags/WORKTREE")]
    if names:
        kinds = " and ".join(("the branch " if n.startswith("refs/heads/") else "the tag ") + n for n in names)
        raise RefError(
            f"{WORKTREE} is ambiguous: it names the work tree and {kinds}; rename the "
            f"{'branch' if names[0].startswith('refs/heads/') else 'tag'}, or write {names[0]} to read it"
        )


def _worktree_checked(root: Path) -> None:
    """check_worktree_name where `root` is in a repository (a plain folder has no refs)."""
    try:
        loc = _open(root)
    except RefError:
        return
    try:
        check_worktree_name(loc)
    finally:
        loc.repo.close()


def worktree_source(root: Path) -> DirSource:
    """The work tree, with its on-disk parse cache (`.cstudio/` ignores itself, so git status stays clean)."""
    return DirSource(Path(root))


def source_at(loc: RepoLocation, root: Path, ref: str) -> Source:
    if ref == WORKTREE:
        check_worktree_name(loc)
        return worktree_source(root)
    return GitSource(loc, resolve_ref_in(loc, ref), ref)


def _load(source: Source) -> Workspace:
    ws = load_workspace(source)
    if isinstance(source, GitSource):
        source.save_parse_cache()
    return ws


def load_version(root: Path, ref: str) -> Workspace:
    """The constitution at `ref` (WORKTREE or any git rev), validated; bad content becomes findings.

    Raises RefError only for refs that cannot be read at all.
    """
    if ref == WORKTREE:
        _worktree_checked(root)
        return load_workspace(worktree_source(root))
    with open_repo(root) as loc:
        return _load(source_at(loc, root, ref))


def load_versions(root: Path, base: str, head: str) -> tuple[Workspace, Workspace, str | None, str | None]:
    """Two versions and their commit shas (None for WORKTREE), sharing one repository handle."""
    if base == WORKTREE and head == WORKTREE:
        _worktree_checked(root)
        ws = load_workspace(worktree_source(root))
        return ws, ws, None, None
    with open_repo(root) as loc:
        sources = [source_at(loc, root, ref) for ref in (base, head)]
        base_ws, head_ws = (_load(src) for src in sources)
        shas = [src.commit if isinstance(src, GitSource) else None for src in sources]
    return base_ws, head_ws, shas[0], shas[1]


def read_principle_at(root: Path, ref: str, principle_id: str) -> Principle | None:
    """One principle as it was at `ref`, or None when it did not exist (or did not parse) there."""
    if ref == WORKTREE:
        _worktree_checked(root)
        return _find_principle(worktree_source(root), principle_id)
    with open_repo(root) as loc:
        return _find_principle(source_at(loc, root, ref), principle_id)


def _parse_principle(source: Source, relpath: str) -> Principle | None:
    try:
        raw = source.read(relpath)
    except BadInputError:
        return None
    if raw is None:
        return None
    try:
        return Principle.model_validate(load_fast(decode(raw, relpath), relpath))
    except (BadInputError, YamlSyntaxError, ValidationError):
        return None


def _find_principle(source: Source, principle_id: str) -> Principle | None:
    """Look in `<ID>.yaml` first, then in every principle file (an old version may name files differently)."""
    first = f"{PRINCIPLES_DIR}/{principle_id}.yaml"
    found = _parse_principle(source, first)
    if found is not None and found.id == principle_id:
        return found
    for relpath in source.list_yaml(PRINCIPLES_DIR):
        if relpath == first or relpath.endswith("/constitution.yaml"):
            continue
        try:
            raw = source.read(relpath)
        except BadInputError:
            continue
        if raw is None or principle_id.encode() not in raw:
            continue
        found = _parse_principle(source, relpath)
        if found is not None and found.id == principle_id:
            return found
    return None


# --- the ref picker -----------------------------------------------------------------------


def list_refs(root: Path, limit: int = 50) -> list[RefInfo]:
    """WORKTREE, local branches, tags, remote branches, then up to `limit` recent commits of HEAD."""
    try:
        return _list_refs(root, limit)
    except git.GitCommandError as exc:
        first = next((ln.strip() for ln in str(exc.stderr or "").splitlines() if ln.strip()), "git failed")
        raise RefError(f"cannot list refs: {first}") from None


def _list_refs(root: Path, limit: int) -> list[RefInfo]:
    refs = [RefInfo(name=WORKTREE, kind="worktree", sha=None, short=None, subject="uncommitted work tree")]
    with open_repo(root) as loc:
        fmt = "%(refname)%00%(objectname)%00%(*objectname)%00%(subject)%00%(committerdate:iso-strict)"
        out = loc.repo.git.for_each_ref(f"--format={fmt}", "refs/heads", "refs/tags", "refs/remotes")
        kinds = {"refs/heads/": "branch", "refs/tags/": "tag", "refs/remotes/": "remote"}
        for line in out.splitlines():
            refname, sha, peeled, subject, date = (line.split("\0") + [""] * 5)[:5]
            if refname.endswith("/HEAD"):
                continue
            for prefix, kind in kinds.items():
                if refname.startswith(prefix):
                    target = peeled or sha
                    refs.append(
                        RefInfo(
                            name=refname[len(prefix) :],
                            kind=kind,  # type: ignore[arg-type]
                            sha=target,
                            short=target[:7],
                            subject=subject,
                            date=date or None,
                        )
                    )
        order = {"branch": 0, "tag": 1, "remote": 2}
        refs[1:] = sorted(refs[1:], key=lambda r: (order[r.kind], r.name))
        if limit > 0 and loc.repo.head.is_valid():
            out = loc.repo.git.log(f"-n{int(limit)}", "--format=%H%x00%s%x00%cI", "HEAD", "--")
            for line in out.splitlines():
                sha, subject, date = (line.split("\0") + [""] * 3)[:3]
                refs.append(RefInfo(name=sha[:7], kind="commit", sha=sha, short=sha[:7], subject=subject, date=date))
    return refs


def diff_refs(root: Path, base: str, head: str) -> tuple[ConstitutionDiff, Workspace, Workspace]:
    """Structural diff of two refs (WORKTREE allowed), with commit shas filled in, plus both versions."""
    base_ws, head_ws, base_sha, head_sha = load_versions(root, base, head)
    return structural_diff(base_ws, head_ws, base_commit=base_sha, head_commit=head_sha), base_ws, head_ws
