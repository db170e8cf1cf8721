"""Whether a pull request changed the files of its own judge.

`check` judges both sides with the base's `critic:` settings, but a model folder inside the
repository is read from the work tree, which in CI is the head's checkout. When the pull
request changed files in that folder, the "base's critic" would run the head's weights and
tokenizer, so every such folder is reported as a critic change (and fails the gate unless
critic changes are allowed). Folders outside the repository belong to the machine, not to
the pull request, and are not compared.
"""

from __future__ import annotations

from pathlib import Path

import git

from constitution_studio.core.critic.loader import local_model_folder
from constitution_studio.core.diff import SettingChange
from constitution_studio.core.models import CriticSettings, PanelMember
from constitution_studio.core.versions import open_repo
from constitution_studio.errors import RefError

SHOWN = 5  # changed file names listed per folder
JUDGE_FILES = "critic.model files"  # the key of every change this module reports


def judge_models(settings: CriticSettings) -> list[str]:
    """Every model the judge loads: the critic's and each panel member's."""
    members = [m.model if isinstance(m, PanelMember) else m for m in settings.panel]
    return list(dict.fromkeys([settings.model, *members]))


def _differing(repo: git.Repo, base_commit: str, rel: str) -> list[str]:
    """Files under `rel` whose content in the work tree is not the base commit's, by blob hash
    (not git's stat cache, which a copied file with the same size and time can fool)."""
    committed = {}
    for line in repo.git.ls_tree("-r", "--full-tree", base_commit, "--", rel).splitlines():
        meta, _, path = line.partition("\t")
        committed[path] = meta.split()[2]
    present = repo.git.ls_files("--cached", "--others", "--exclude-standard", "--", rel).splitlines()
    present = [p for p in dict.fromkeys(present) if (Path(str(repo.working_tree_dir)) / p).is_file()]
    hashes: list[str] = []
    for start in range(0, len(present), 200):  # a model folder holds a few files; bound the command line
        hashes += repo.git.hash_object("--", *present[start : start + 200]).splitlines()
    now = dict(zip(present, hashes, strict=True))
    return sorted(p for p in set(committed) | set(now) if committed.get(p) != now.get(p))


def judge_file_changes(root: Path, settings: CriticSettings, base_commit: str | None) -> list[SettingChange]:
    """One `critic.model files` change per model folder inside the repository whose files in the
    work tree differ from the base commit's (tracked changes and untracked, unignored files)."""
    if base_commit is None:
        return []  # the base is the work tree itself: what is loaded is the base's
    folders = [(spec, folder) for spec in judge_models(settings) if (folder := local_model_folder(spec, root))]
    if not folders:
        return []
    try:
        with open_repo(root) as loc:
            top = Path(str(loc.repo.working_tree_dir)).resolve()
            out = []
            for spec, folder in folders:
                try:
                    rel = folder.resolve().relative_to(top).as_posix()
                except ValueError:
                    continue
                names = _differing(loc.repo, base_commit, rel)
                if names:
                    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
                    out.append(
                        SettingChange(
                            key=f"{JUDGE_FILES} ({spec})",
                            base=f"as committed at {base_commit[:7]}",
                            head=f"{len(names)} file(s) differ: {', '.join(names[:SHOWN])}{more}",
                        )
                    )
            return out
    except RefError:
        return []
    except git.GitCommandError as exc:  # fail closed: an unknown judge is a changed judge
        first = next((ln.strip() for ln in str(exc.stderr or "").splitlines() if ln.strip()), "git failed")
        return [SettingChange(key=JUDGE_FILES, base=base_commit[:7], head=f"could not be compared: {first}")]
