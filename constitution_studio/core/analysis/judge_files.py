"""Whether a pull request changed the files of its own judge.

`check` judges both sides with the base's `critic:` settings, but a model folder inside the
repository is read from the work tree, which in CI is the head's checkout. When the pull
request changed files in that folder, the "base's critic" would run the head's weights and
tokenizer, so every such folder is reported as a critic change (and fails the gate unless
critic changes are allowed). Folders outside the repository belong to the machine, not to
the pull request, and are not compared.

Symlinks are followed on both sides: the work tree's folder (or a file in it) is compared by
what it resolves to, and the base's by what its committed symlinks resolve to in the base
commit's tree. A judge folder inside the repository that now resolves outside it (a symlink
the pull request planted or changed) is a change the gate refuses outright: the outside files
are never loaded as the judge, whatever `check.allow_critic_change` says.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import git
from pydantic import Field

from constitution_studio.core.critic.loader import local_model_folder
from constitution_studio.core.diff import SettingChange
from constitution_studio.core.gittree import TreeResolver, kind_of
from constitution_studio.core.models import CriticSettings, PanelMember
from constitution_studio.core.storage.safe_paths import is_inside
from constitution_studio.core.versions import open_repo
from constitution_studio.core.wording import plural
from constitution_studio.errors import RefError

SHOWN = 5  # changed file names listed per folder
JUDGE_FILES = "critic.model files"  # the key of every change this module reports
OUTSIDE = "outside:"  # content id of a file or folder that resolves outside the repository
LEAVES = "resolves outside the repository"


class JudgeFileChange(SettingChange):
    """A judge folder whose files differ from the base's; `leaves_repository` when what the
    work tree holds there resolves outside the repository (never loaded as a judge)."""

    leaves_repository: bool = Field(default=False, description="Refused as a judge.")


def judge_models(settings: CriticSettings) -> list[str]:
    """Every model the judge loads: the critic's and each panel member's."""
    members = [m.model if isinstance(m, PanelMember) else m for m in settings.panel]
    return list(dict.fromkeys([settings.model, *members]))


def refuses_judge(changes: Iterable[SettingChange]) -> bool:
    """Whether any judge folder resolves outside the repository (the check must not load it)."""
    return any(isinstance(c, JudgeFileChange) and c.leaves_repository for c in changes)


def _in_repo(top: Path, root: Path, spec: str) -> str | None:
    """The folder `spec` names, relative to the repository top *without* following symlinks,
    when it names one inside the repository (None for the machine's own folders)."""
    folder = local_model_folder(spec, root)
    if folder is None:
        return None
    named = Path(spec).expanduser()
    if not named.is_absolute() and folder == Path(root) / named:
        lexical = Path(os.path.normpath(Path(root).resolve() / named))
    else:
        lexical = Path(os.path.normpath(os.path.abspath(folder)))
    try:
        rel = lexical.relative_to(top)
    except ValueError:
        return None
    return rel.as_posix() if rel.parts else "."


class _WorkTree:
    """name inside a judge folder -> content id, as the work tree resolves it."""

    def __init__(self, repo: git.Repo, top: Path) -> None:
        self.repo = repo
        self.top = top
        self.entries: dict[str, str] = {}
        self._hash: dict[str, Path] = {}
        self._seen: set[str] = set()

    def add(self, rel: str, name: str) -> None:
        path = self.top / rel
        real = Path(os.path.realpath(path))
        if not is_inside(self.top, real):
            self.entries[name] = OUTSIDE + str(real)
        elif real.is_dir():
            self._folder(real, name)
        elif real.is_file():
            self._hash[name] = real
        elif os.path.lexists(path):
            self.entries[name] = "missing"

    def _folder(self, real: Path, prefix: str) -> None:
        realrel = real.relative_to(self.top).as_posix() if real != self.top else ""
        if realrel in self._seen:
            return
        self._seen.add(realrel)
        listed = self.repo.git.ls_files("--cached", "--others", "--exclude-standard", "--", realrel or ".").splitlines()
        for entry in dict.fromkeys(listed):
            inner = entry[len(realrel) + 1 :] if realrel else entry
            self.add(entry, f"{prefix}/{inner}" if prefix else inner)

    def finish(self) -> dict[str, str]:
        names = list(self._hash)
        hashes: list[str] = []
        for start in range(0, len(names), 200):  # a model folder holds a few files; bound the command line
            chunk = [str(self._hash[n]) for n in names[start : start + 200]]
            hashes += self.repo.git.hash_object("--", *chunk).splitlines()
        self.entries.update({n: f"blob:{h}" for n, h in zip(names, hashes, strict=True)})
        return self.entries


def _base_entries(resolver: TreeResolver, top: Path, rel: str) -> dict[str, str]:
    """name inside a judge folder -> content id, as the base commit's tree resolves it."""
    entries: dict[str, str] = {}
    seen: set[str] = set()

    def walk(path: str, name: str) -> None:
        found = resolver.resolve(path)
        if found.kind == "outside":
            entries[name] = OUTSIDE + os.path.realpath(os.path.normpath(top / found.path))
        elif found.kind == "blob":
            entries[name] = f"blob:{found.sha}"
        elif found.kind == "tree" and found.path not in seen:
            seen.add(found.path)
            for child, _, mode in resolver.listing(found.path):
                if kind_of(mode) != "submodule":
                    walk(f"{found.path}/{child}" if found.path else child, f"{name}/{child}" if name else child)

    walk(rel, "")
    return entries


def _describe(spec: str, base_commit: str, names: list[str], work: dict[str, str]) -> JudgeFileChange:
    outside = [n for n in names if work.get(n, "").startswith(OUTSIDE)]
    if outside:
        where = work[outside[0]][len(OUTSIDE) :]
        what = f"the folder {spec}" if outside[0] == "" else f"{spec}/{outside[0]}"
        return JudgeFileChange(
            key=f"{JUDGE_FILES} ({spec})",
            base=f"as committed at {base_commit[:7]}",
            head=f"{what} {LEAVES} (→ {where}); refused as a judge",
            leaves_repository=True,
        )
    shown = [n or spec for n in names]
    more = f" and {len(shown) - SHOWN} more" if len(shown) > SHOWN else ""
    return JudgeFileChange(
        key=f"{JUDGE_FILES} ({spec})",
        base=f"as committed at {base_commit[:7]}",
        head=f"{plural(len(shown), 'file')} {'differs' if len(shown) == 1 else 'differ'}: "
        f"{', '.join(f'{spec}/{n}' if n else n for n in shown[:SHOWN])}{more}",
    )


def judge_file_changes(root: Path, settings: CriticSettings, base_commit: str | None) -> list[SettingChange]:
    """One `critic.model files` change per model folder inside the repository whose files in the
    work tree differ from the base commit's (tracked changes and untracked, unignored files),
    each side followed through its symlinks."""
    if base_commit is None:
        return []  # the base is the work tree itself: what is loaded is the base's
    try:
        with open_repo(root) as loc:
            top = Path(str(loc.repo.working_tree_dir)).resolve()
            folders = [(spec, rel) for spec in judge_models(settings) if (rel := _in_repo(top, root, spec))]
            if not folders:
                return []
            resolver = TreeResolver(loc.repo, base_commit)
            out: list[SettingChange] = []
            for spec, rel in folders:
                work_tree = _WorkTree(loc.repo, top)
                work_tree.add(rel, "")
                work = work_tree.finish()
                base = _base_entries(resolver, top, rel)
                names = sorted(n for n in set(base) | set(work) if base.get(n) != work.get(n))
                if names:
                    out.append(_describe(spec, base_commit, names, work))
            return out
    except RefError:
        return []
    except git.GitCommandError as exc:  # fail closed: an unknown judge is a changed judge
        first = next((ln.strip() for ln in str(exc.stderr or "").splitlines() if ln.strip()), "git failed")
        return [SettingChange(key=JUDGE_FILES, base=base_commit[:7], head=f"could not be compared: {first}")]


def head_judge_escapes(
    root: Path, head: CriticSettings, base_judge: CriticSettings, base_commit: str | None
) -> list[SettingChange]:
    """The head's own judge folders (those the base's judge does not name) inside the repository
    that now resolve outside it: refused, the head never picks weights outside the repository
    through a symlink it planted."""
    known = set(judge_models(base_judge))
    specs = [s for s in judge_models(head) if s not in known]
    out: list[SettingChange] = []
    for spec in specs:
        for change in judge_file_changes(root, CriticSettings(model=spec), base_commit):
            if refuses_judge([change]):
                out.append(change.model_copy(update={"key": f"{change.key} at head"}))
    return out
