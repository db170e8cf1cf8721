"""Where an exported row came from: the constitution version and commit, and the judge.

One `Provenance` is built per export and repeated on every row, so a row copied out of its
file still says which commit, which constitution version and which judge produced it. The
per-principle part (ID and a hash of the wording the judge read) sits on the row itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, Field

from constitution_studio import __version__
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.critic.types import CriticInfo
from constitution_studio.core.source import CASES_DIR, PRINCIPLES_DIR, WORKTREE
from constitution_studio.core.workspace import Workspace
from constitution_studio.errors import StudioError


class Provenance(BaseModel):
    """What produced a row: the same for every row of one export."""

    constitution: str = Field(description="The constitution's name (constitution.yaml `name`).")
    constitution_version: str = Field(description="The constitution's release version (constitution.yaml `version`).")
    ref: str = Field(description="The version read: WORKTREE or the git ref given.")
    commit: str | None = Field(
        description="Commit sha of the version; for WORKTREE, the commit HEAD points at (None outside git)."
    )
    dirty: bool | None = Field(
        default=None,
        description="WORKTREE only: principles/ or eval_cases/ differ from that commit (None when unknown).",
    )
    judge: CriticInfo = Field(description="The judge's identity (model, template set, method, family, panel).")
    judge_fingerprint: str | None = Field(
        default=None, description="Fingerprint of the judge's answers to canary prompts, when the judge has one."
    )
    judge_variants: list[str] = Field(description="The judge variants asked; the first gives the reported labels.")
    method: str = Field(description="The scoring method.")
    template_set: str = Field(description="Judge template set id#hash.")
    locale: str | None = Field(default=None, description="The locale whose addendum the judge read, if any.")
    engagement: bool = Field(description="Engaged principles decide (critic.engagement: on).")
    tool: str = Field(description="cstudio version that wrote the row.")


def statement_hash(statement: str) -> str:
    """sha256 of the wording the judge read (statement plus any locale addendum)."""
    return hashlib.sha256(statement.encode()).hexdigest()


def version_commit(root: Path, ref: str) -> tuple[str | None, bool | None]:
    """(commit sha, dirty) of a version: a ref's commit, or for WORKTREE the HEAD commit and
    whether the constitution's folders differ from it. (None, None) outside git."""
    import git

    from constitution_studio.core.versions import open_repo, resolve_ref_in

    try:
        with open_repo(root) as loc:
            if ref != WORKTREE:
                return resolve_ref_in(loc, ref), None
            try:
                sha = loc.repo.head.commit.hexsha
            except ValueError:  # unborn HEAD: no commit yet
                return None, True
            paths = [loc.path(PRINCIPLES_DIR), loc.path(CASES_DIR)]
            out = loc.repo.git.execute(
                ["git", "-c", "core.fsmonitor=false", "status", "--porcelain", "--untracked-files=all", "--", *paths]
            )
            return sha, bool(str(out).strip())
    except (StudioError, git.GitCommandError, OSError):  # no repository, or git refusing it: unknown
        return None, None


def provenance(
    ws: Workspace,
    judge: Judge,
    *,
    root: Path,
    ref: str = WORKTREE,
    judges: list[str],
    engagement: bool,
    locale: str | None = None,
) -> Provenance:
    """The provenance of every row exported from `ws` as judged by `judge`."""
    info = judge.info
    commit, dirty = version_commit(root, ref)
    constitution = ws.constitution
    return Provenance(
        constitution=constitution.name if constitution else "",
        constitution_version=constitution.version if constitution else "",
        ref=ref,
        commit=commit,
        dirty=dirty,
        judge=info,
        judge_fingerprint=info.fingerprint or None,
        judge_variants=list(judges),
        method=info.method,
        template_set=f"{info.template_set}#{info.template_hash}",
        locale=locale,
        engagement=engagement,
        tool=__version__,
    )
