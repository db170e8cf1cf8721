"""The impact view's first stage reads only the affected cases: the same figures as over the whole version."""

from __future__ import annotations

import shutil
from pathlib import Path

from fixtures.shift_support import ScriptedCritic, git, stable_noise

from constitution_studio.core.analysis.answer_key import answer_key
from constitution_studio.core.analysis.impact import cached_shift, only_cases
from constitution_studio.core.analysis.scoring import fill_from_cache
from constitution_studio.core.analysis.selection import affected_cases
from constitution_studio.core.analysis.shift import assemble_shift, critic_info, scored_version, shift_requests
from constitution_studio.core.versions import diff_refs

EXAMPLE = Path(__file__).resolve().parents[3]


def _repo(tmp_path: Path) -> Path:
    """The example constitution in git: the first commit, then HARM-01 reworded (harm-005, benign, is affected)."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(EXAMPLE / "principles", root / "principles")
    shutil.copytree(EXAMPLE / "eval_cases", root / "eval_cases")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    path = root / "principles" / "HARM-01.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("meaningfully increase", "noticeably increase", 1))
    git(root, "commit", "-qam", "head")
    return root


def test_first_stage_equals_the_affected_requests_over_the_whole_workspace(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    diff, base, head = diff_refs(root, "main~1", "main")
    critic = ScriptedCritic(lambda pid, statement, cid, variant: stable_noise(pid + statement[:8], cid), warm=True)
    fast = cached_shift(base, head, diff, critic, context=False)
    # what cached_shift did before: the same requests, the verdicts formed over the whole workspaces
    changed, why = affected_cases(base, head, diff)
    b, h = scored_version(base, critic), scored_version(head, critic, key=answer_key(base, head))
    want_h, want_b = shift_requests(b, h, sorted(why), critic, with_trust=False, context=False)
    fill_from_cache(h, critic, want_h)
    fill_from_cache(b, critic, want_b)
    slow = assemble_shift(b, h, diff, changed, why, critic_info(critic), with_trust=False)
    assert fast.cases and fast.principles  # the edit moves something
    skip = {"requests", "cached", "model_calls"}
    assert fast.model_dump(exclude=skip) == slow.model_dump(exclude=skip)
    assert fast.requests == len(want_h) + len(want_b)


def test_only_cases_shares_principles_and_order(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    _, base, _ = diff_refs(root, "main~1", "main")
    keep = sorted(base.cases)[:3]
    view = only_cases(base, [*keep, "no-such-case"])
    assert sorted(view.cases) == keep and set(view.case_paths) == set(keep)
    assert view.principles is base.principles and view.priority == base.priority
    assert sum(len(v) for v in view.links.values()) == sum(len(set(base.cases[c].principles)) for c in keep)
    assert len(base.cases) > 3  # the original is untouched
