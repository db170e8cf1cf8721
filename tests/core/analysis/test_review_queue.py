"""The review queue's order: disagrees with gold, then no gold and least certain, unstable, conflicts."""

from __future__ import annotations

import shutil
from pathlib import Path

from constitution_studio.core.analysis.review import first_item, review_queue
from constitution_studio.core.analysis.scored import ScoredVersion
from constitution_studio.core.critic.types import Score
from constitution_studio.core.workspace import Workspace, load_root

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "tui_mini"
CASES = """cases:
  - id: wrong-confident
    principles: [HARM-01]
    prompt: q1
    response: r1
    gold: complies
  - id: wrong-unsure
    principles: [HARM-01]
    prompt: q2
    response: r2
    gold: complies
  - id: nogold-unsure
    principles: [HARM-01]
    prompt: q3
    response: r3
  - id: nogold-sure
    principles: [HARM-01]
    prompt: q4
    response: r4
  - id: unstable
    principles: [HARM-01]
    prompt: q5
    response: r5
    gold: violates
  - id: conflict
    principles: [HARM-01, HELP-01]
    prompt: q6
    response: r6
    gold: violates
  - id: fine
    principles: [HARM-01]
    prompt: q7
    response: r7
    gold: violates
  - id: not-scored
    principles: [HARM-01]
    prompt: q8
    response: r8
"""


def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "c"
    shutil.copytree(FIXTURE, root)
    (root / "eval_cases" / "cases.yaml").write_text(CASES)
    ws = load_root(root)
    assert not ws.errors
    return ws


def add(v: ScoredVersion, pid: str, cid: str, p: float, judge: str = "default", engaged: bool = True) -> None:
    v.add(Score(pid, cid, judge, "single", p, "violates" if p >= 0.5 else "complies", False))
    v.add(Score(pid, cid, judge, "engagement", 1.0 if engaged else 0.0, "engaged" if engaged else "not_engaged", False))


def scored(tmp_path: Path) -> ScoredVersion:
    v = ScoredVersion(ws=workspace(tmp_path), judges=["default", "alt"])
    table = {
        "wrong-confident": (0.97, 0.95),
        "wrong-unsure": (0.6, 0.62),
        "nogold-unsure": (0.52, 0.55),
        "nogold-sure": (0.9, 0.92),
        "unstable": (0.7, 0.3),
        "fine": (0.9, 0.91),
    }
    for cid, (p, q) in table.items():
        add(v, "HARM-01", cid, p)
        add(v, "HARM-01", cid, q, "alt")
    for judge in ("default", "alt"):  # HARM-01 outranks HELP-01; both engaged and disagree
        add(v, "HARM-01", "conflict", 0.8, judge)
        add(v, "HELP-01", "conflict", 0.2, judge)
    return v


def test_queue_order(tmp_path: Path) -> None:
    queue = review_queue(scored(tmp_path))
    assert [(i.case_id, i.reason) for i in queue] == [
        ("wrong-confident", "disagrees"),
        ("wrong-unsure", "disagrees"),
        ("nogold-unsure", "uncertain"),
        ("nogold-sure", "uncertain"),
        ("unstable", "unstable"),
        ("conflict", "conflict"),
    ]
    head = queue[0]
    assert head.principle_id == "HARM-01" and head.label == "violates" and head.gold == "complies"
    assert head.probability == 0.97 and head.margin is not None and abs(head.margin - 0.47) < 1e-9
    conflict = queue[-1]
    assert conflict.conflict and conflict.labels == {"HARM-01": "violates", "HELP-01": "complies"}


def test_thresholds_decide_uncertainty(tmp_path: Path) -> None:
    queue = review_queue(scored(tmp_path), thresholds={"HARM-01": 0.9})
    uncertain = [i.case_id for i in queue if i.reason == "uncertain"]
    assert uncertain == ["nogold-sure", "nogold-unsure"]  # 0.9 sits on the threshold now


def test_limit_and_first_item(tmp_path: Path) -> None:
    v = scored(tmp_path)
    assert [i.case_id for i in review_queue(v, limit=3)] == ["wrong-confident", "wrong-unsure", "nogold-unsure"]
    item = first_item(v)
    assert item is not None and item.case_id == "wrong-confident"


def test_unscored_cases_never_enter(tmp_path: Path) -> None:
    v = scored(tmp_path)
    assert "not-scored" not in {i.case_id for i in review_queue(v)}
    empty = ScoredVersion(ws=v.ws, judges=["default"])
    assert review_queue(empty) == [] and first_item(empty) is None


def test_first_stage_matches_the_queue(tmp_path: Path) -> None:
    from constitution_studio.core.analysis.review import disagreements

    v = scored(tmp_path)
    gold = [cid for cid, c in v.ws.cases.items() if c.has_gold]
    fast = disagreements(v, gold, {})
    full = [i for i in review_queue(v) if i.reason == "disagrees"]
    assert [(i.case_id, i.margin, i.label, i.gold, i.principle_id) for i in fast] == [
        (i.case_id, i.margin, i.label, i.gold, i.principle_id) for i in full
    ]
