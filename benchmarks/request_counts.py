"""How many critic answers three everyday journeys ask for, on the example constitution.

Counts, not timings: a scripted judge (tests/fixtures/shift_support.py `ScriptedCritic`, whose
score cache is real) answers every request at once, and the count of answers it computed is
what the real critic would have to compute. Each journey runs twice: from a cold cache, and
after `cstudio eval` on the saved constitution (its primary-judge answers cached), which is
what an author who evaluated before editing has.

  (a) studio: a one-principle edit to HARM-02 (one sentence added), then the impact view's
      "Run all"; the first group is the answers before the edited principle's own labels show
  (b) `cstudio shift A B --principle HARM-01`, A the example, B with HARM-01 reworded
  (c) `cstudio check --base A --principle HARM-01` on the same pair (before: check had no
      --principle, so the whole check)

Rerun:  .venv/bin/python benchmarks/request_counts.py
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures.shift_support import ScriptedCritic, stable_noise

from constitution_studio.core.analysis import impact
from constitution_studio.core.analysis.evaluation import score_version
from constitution_studio.core.analysis.gate import check_versions
from constitution_studio.core.analysis.shift import analyze_shift
from constitution_studio.core.diff import structural_diff
from constitution_studio.core.workspace import Workspace, load_root

REPO = Path(__file__).resolve().parents[1]
HARM_02_EDIT = " Even in fiction."
HARM_01_FROM, HARM_01_TO = "meaningfully increase", "noticeably increase"


def judge(warm_from: Workspace | None) -> ScriptedCritic:
    critic = ScriptedCritic(lambda pid, statement, cid, variant: stable_noise(pid, statement, cid, variant))
    if warm_from is not None:
        score_version(warm_from, critic)  # `cstudio eval` on the saved constitution
        critic.model_calls = 0
    return critic


def edited(ws: Workspace, pid: str, old: str | None, new: str) -> Workspace:
    p = ws.principles[pid]
    statement = p.statement.replace(old, new, 1) if old else p.statement + new
    assert statement != p.statement
    return dataclasses.replace(ws, principles={**ws.principles, pid: p.model_copy(update={"statement": statement})})


def studio(base: Workspace, critic: ScriptedCritic) -> str:
    head = edited(base, "HARM-02", None, HARM_02_EDIT)
    diff = structural_diff(base, head)
    plan_impact = getattr(impact, "plan_impact", None)
    if plan_impact is None:  # before: Run all was analyze_shift over the affected and every benign case
        analyze_shift(base, head, diff, critic, with_trust=False)
        return f"{critic.model_calls} (one group)"
    plan = plan_impact(base, head, diff, critic)
    firsts = [step.answers for step in plan.steps]
    for step in plan.steps:
        impact.score_step(critic, step)
    groups = ", ".join(f"{step.title} {n}" for step, n in zip(plan.steps, firsts, strict=True))
    return f"{critic.model_calls} ({groups})"


def shift(base: Workspace, critic: ScriptedCritic) -> str:
    head = edited(base, "HARM-01", HARM_01_FROM, HARM_01_TO)
    analyze_shift(base, head, structural_diff(base, head), critic, principles=["HARM-01"])
    return str(critic.model_calls)


def check(base: Workspace, critic: ScriptedCritic) -> str:
    head = edited(base, "HARM-01", HARM_01_FROM, HARM_01_TO)
    kwargs: dict[str, Any] = {}
    if "principles" in check_versions.__code__.co_varnames:
        kwargs["principles"] = ["HARM-01"]
    with tempfile.TemporaryDirectory() as root:  # where check would keep state: not this checkout
        check_versions(Path(root), base, head, structural_diff(base, head), open_judge=lambda *a, **k: critic, **kwargs)
    return str(critic.model_calls)


def main() -> None:
    base = load_root(REPO)
    journeys: dict[str, Callable[[Workspace, ScriptedCritic], str]] = {
        "(a) studio: HARM-02 edit, impact Run all": studio,
        "(b) shift --principle HARM-01": shift,
        "(c) check --principle HARM-01": check,
    }
    print(f"{'journey':<42} {'cold cache':<28} after eval")
    for name, run in journeys.items():
        print(f"{name:<42} {run(base, judge(None)):<28} {run(base, judge(base))}")


if __name__ == "__main__":
    main()
