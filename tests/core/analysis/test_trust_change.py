"""Trust moves with the work: before → after the gold not committed yet, and honest empty states."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.shift_support import ScriptedCritic, git

from constitution_studio.core.analysis.trust import format_trust_text
from constitution_studio.core.analysis.trust_delta import change_text, head_gold, trust_change
from constitution_studio.core.analysis.trust_history import current_trust
from constitution_studio.core.gold_writes import GoldVerdict, record_verdicts
from constitution_studio.core.workspace import load_root

N = 40  # gold cases: the critic says violates for v-*, complies for c-*


def _cases(gold: dict[str, str | None]) -> str:
    out = ["cases:"]
    for cid, label in gold.items():
        out += [f"  - id: {cid}", f"    principles: [{'HARM-01' if cid.endswith('a') else 'HELP-01'}]"]
        out += [f"    prompt: question {cid}", f"    response: answer {cid}"]
        if label:
            out.append(f"    gold: {label}")
    return "\n".join(out) + "\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "principles").mkdir(parents=True)
    (root / "eval_cases").mkdir()
    (root / "principles" / "constitution.yaml").write_text(
        'name: T\nversion: "1"\npriority:\n  - HARM-01\n  - HELP-01\n'
    )
    for pid in ("HARM-01", "HELP-01"):
        (root / "principles" / f"{pid}.yaml").write_text(f"id: {pid}\ntitle: T {pid}\nstatement: Rule {pid}.\n")
    gold: dict[str, str | None] = {}
    for i in range(N // 2):
        gold[f"v{i:02d}{'a' if i % 2 else 'b'}"] = "violates"
        gold[f"c{i:02d}{'a' if i % 2 else 'b'}"] = "complies"
    gold["v00b"] = "complies"  # two disagreements keep kappa's interval open
    gold["c01a"] = "violates"
    gold["new1a"] = None
    gold["new2b"] = None
    (root / "eval_cases" / "cases.yaml").write_text(_cases(gold))
    (root / ".gitignore").write_text(".cstudio/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def critic() -> ScriptedCritic:
    def table(pid: str, statement: str, cid: str, variant: str) -> float:
        return 0.9 if cid.startswith(("v", "new1")) else 0.1

    return ScriptedCritic(table, variants=("default",))


def test_no_change_since_head_is_no_change(repo: Path) -> None:
    ws = load_root(repo)
    assert trust_change(ws, head_gold(repo) or {}, critic()) is None


def test_verdicts_move_trust_before_to_after(repo: Path) -> None:
    committed = head_gold(repo)
    assert committed is not None and committed["v00b"] == "complies"
    ws = load_root(repo)
    # an auditor's three verdicts: one fixes a wrong label, two add gold
    record_verdicts(
        repo,
        ws,
        [GoldVerdict("new1a", "violates"), GoldVerdict("new2b", "complies")],
    )
    record_verdicts(repo, ws, [GoldVerdict("v00b", "violates")], replace=True)
    c = critic()
    change = trust_change(load_root(repo), committed, c, score=True)
    assert change is not None
    assert change.changed == ["v00b", "new1a", "new2b"]
    assert (change.before.n, change.after.n) == (N, N + 2)
    assert change.after.kappa.value is not None and change.before.kappa.value is not None
    assert change.after.kappa.value > change.before.kappa.value
    assert change.within_noise  # three labels move kappa less than its own interval
    assert [p.principle_id for p in change.principles] == ["HARM-01", "HELP-01"]
    text = change_text(change)
    assert text.startswith("trust with 3 uncommitted gold changes (vs HEAD): ")
    assert f"n {N} → {N + 2}" in text and "(within noise)" in text
    assert f"kappa {change.before.kappa.text()} → {change.after.kappa.text()}" in text


def test_many_fixed_labels_are_outside_the_noise(repo: Path) -> None:
    committed = head_gold(repo) or {}
    ws = load_root(repo)
    flips = [GoldVerdict(cid, "complies") for cid in list(ws.cases)[:16] if cid.startswith("v")]
    record_verdicts(repo, ws, flips, replace=True)
    change = trust_change(load_root(repo), committed, critic(), score=True)
    assert change is not None and not change.within_noise
    assert "(outside the old interval)" in change_text(change)


def test_trust_text_says_before_after_and_nothing_scored_honestly(repo: Path) -> None:
    ws = load_root(repo)
    c = critic()
    # nothing in the cache: never "add gold labels" when 40 gold cases wait to be scored
    empty = ScriptedCritic(lambda *_: 0.5, variants=("default",))  # its cache starts cold
    report = current_trust(ws, empty, score=False)
    text = format_trust_text(report)
    assert report.gold_cases == N and report.overall.n == 0 and report.answers_needed == 2 * N
    assert text.startswith(
        f"trust: nothing scored yet — run without --cached-only (about {2 * N} critic answers) "
        f"to measure the critic on {N} gold cases"
    )
    assert "add gold labels" not in text and "label more cases" not in text
    assert "press r" in format_trust_text(report, action="press r")
    # scored: the figures, and the uncommitted verdicts before → after
    committed = head_gold(repo) or {}
    record_verdicts(repo, ws, [GoldVerdict("new1a", "violates")])
    report = current_trust(ws, c, score=True)
    report.uncommitted = trust_change(ws, committed, c, score=False)
    text = format_trust_text(report)
    assert text.startswith(f"trust GOOD on {N + 1} gold cases") or text.startswith("trust WEAK on")
    assert "trust with 1 uncommitted gold change (vs HEAD)" in text
    assert "  HARM-01      kappa " in text
