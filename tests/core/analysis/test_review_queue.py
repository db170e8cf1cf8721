"""The review queue: no gold first (least certain first), then disagrees with gold, unstable, conflicts;
each item labels what it shows (every linked principle, who decides and why, note, existing gold)."""

from __future__ import annotations

import shutil
from pathlib import Path

from constitution_studio.core.analysis.review import ReviewItem, first_item, review_queue
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
    note: HELP-01 is violated and HARM-01 is not actually engaged.
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
        ("nogold-unsure", "uncertain"),  # cases without gold first: a new label adds most
        ("nogold-sure", "uncertain"),
        ("wrong-confident", "disagrees"),
        ("wrong-unsure", "disagrees"),
        ("unstable", "unstable"),
        ("conflict", "conflict"),
    ]
    head = queue[2]
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
    assert [i.case_id for i in review_queue(v, limit=3)] == ["nogold-unsure", "nogold-sure", "wrong-confident"]
    assert [i.case_id for i in review_queue(v, limit=2)] == ["nogold-unsure", "nogold-sure"]
    item = first_item(v)
    assert item is not None and item.case_id == "nogold-unsure"


def test_unscored_cases_never_enter(tmp_path: Path) -> None:
    v = scored(tmp_path)
    assert "not-scored" not in {i.case_id for i in review_queue(v)}
    empty = ScoredVersion(ws=v.ws, judges=["default"])
    assert review_queue(empty) == [] and first_item(empty) is None


def test_first_stage_matches_the_queue(tmp_path: Path) -> None:
    from constitution_studio.core.analysis.review import FIRST_STAGE, disagreements, first_groups

    v = scored(tmp_path)
    fast = first_groups(v, v.ws.cases, {})
    full = [i for i in review_queue(v) if i.reason in FIRST_STAGE]

    def seen(items: list[ReviewItem]) -> list[tuple[object, ...]]:
        return [(i.case_id, i.reason, i.margin, i.label, i.gold, i.principle_id, i.why, i.linked) for i in items]

    assert seen(fast) == seen(full)
    gold = [cid for cid, c in v.ws.cases.items() if c.has_gold]
    assert seen(disagreements(v, gold, {})) == seen([i for i in full if i.reason == "disagrees"])


def test_an_item_labels_everything_it_shows(tmp_path: Path) -> None:
    """harm-014's lesson: every linked principle's wording and verdict, who decides and why, the note."""
    queue = {i.case_id: i for i in review_queue(scored(tmp_path))}
    item = queue["conflict"]
    ws = load_root(tmp_path / "c")
    assert [(lv.principle_id, lv.label, lv.probability, lv.decides, lv.engaged) for lv in item.linked] == [
        ("HARM-01", "violates", 0.8, True, True),
        ("HELP-01", "complies", 0.2, False, True),
    ]
    assert [lv.statement for lv in item.linked] == [ws.principles[p].statement for p in ("HARM-01", "HELP-01")]
    assert item.linked[0].rank == 1 and item.linked[1].rank == 4 and item.linked[1].title
    assert item.note == "HELP-01 is violated and HARM-01 is not actually engaged."
    assert item.gold == "violates" and item.gold_scope == "case" and item.gold_by_principle == {}
    assert item.decision.startswith("HARM-01 decides: it is the highest-priority linked principle the request")
    assert "disagreed (HARM-01 violates, HELP-01 complies)" in item.decision
    assert (
        item.why == "the engaged principles disagreed (HARM-01 violates, HELP-01 complies); the priority order decided"
    )
    assert queue["nogold-unsure"].why == (
        "no gold label yet; the critic says violates (52 % sure the response violates HARM-01)"
    )
    assert queue["nogold-unsure"].gold is None and queue["nogold-unsure"].gold_scope is None
    assert queue["wrong-confident"].why == (
        "the critic says violates (97 % sure the response violates HARM-01), but gold (case): complies"
    )
    assert queue["unstable"].why == "the label changes with the judge prompt's wording (default violates, alt complies)"


def test_per_principle_gold_is_shown_per_principle(tmp_path: Path) -> None:
    v = scored(tmp_path)
    cases = (tmp_path / "c" / "eval_cases" / "cases.yaml").read_text()
    cases = cases.replace("    gold: violates\n    note:", "    gold: {HELP-01: violates}\n    note:")
    (tmp_path / "c" / "eval_cases" / "cases.yaml").write_text(cases)
    v.ws = load_root(tmp_path / "c")
    item = {i.case_id: i for i in review_queue(v)}["conflict"]
    assert item.gold_scope == "principle" and item.gold_by_principle == {"HELP-01": "violates"}
    assert [(lv.principle_id, lv.gold) for lv in item.linked] == [("HARM-01", None), ("HELP-01", "violates")]
    assert item.gold == "violates"  # derived: HELP-01 is the only labelled principle
    assert item.reason == "conflict"


def test_a_scoring_review_shows_its_queue_chunk_by_chunk(tmp_path: Path) -> None:
    """On a slow judge the reviewer starts on the first cases before every answer is in: the
    first stage is yielded after each chunk of cases, growing, and the last stage is the whole queue."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from fixtures.shift_support import ScriptedCritic

    from constitution_studio.core.analysis.review import REVIEW_CHUNK_CASES, review_stages

    n = REVIEW_CHUNK_CASES * 2 + 3  # three chunks
    cases = "cases:\n" + "".join(
        f"  - id: c{i:03d}\n    principles: [HARM-01]\n    prompt: q{i}\n    response: r{i}\n" for i in range(n)
    )
    root = tmp_path / "c"
    shutil.copytree(FIXTURE, root)
    (root / "eval_cases" / "cases.yaml").write_text(cases)
    ws = load_root(root)
    assert not ws.errors
    critic = ScriptedCritic(lambda pid, statement, cid, judge: 0.55)  # uncertain: every case queues
    calls_at_stage: list[int] = []
    sizes: list[int] = []
    finals: list[int | None] = []
    seen: list[tuple[int, int]] = []
    for items, unscored in review_stages(ws, critic, score=True, progress=lambda d, t: seen.append((d, t))):
        calls_at_stage.append(critic.model_calls)
        sizes.append(len(items))
        finals.append(unscored)
    assert finals[-1] == 0 and all(u is None for u in finals[:-1])
    assert sizes[0] == REVIEW_CHUNK_CASES  # the first chunk's cases, before the rest was scored
    assert calls_at_stage[0] < calls_at_stage[-1]
    assert sizes == sorted(sizes) and sizes[-1] == n
    assert all(t == seen[0][1] for _, t in seen) and all(d <= t for d, t in seen)  # one total, never past it
    first_stage = seen[: next(i for i, (d, t) in enumerate(seen) if d == t) + 1]  # then the judge variants
    assert len(first_stage) > REVIEW_CHUNK_CASES
    assert [d for d, _ in first_stage] == sorted(d for d, _ in first_stage)  # it only goes up across chunks
