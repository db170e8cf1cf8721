"""critic.panel and method anchored through eval/shift/check: disputed flips apart, panel members
named, demonstrations left out of agreement with the n every report states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.shift_support import REWORDED, ScriptedCritic, Version, build_repo, reword_move_add, stable_noise

from constitution_studio.cli import main
from constitution_studio.core.analysis.evaluation import score_version, summarize
from constitution_studio.core.analysis.gate import evaluate_gates
from constitution_studio.core.analysis.judging import member_judges
from constitution_studio.core.analysis.shift import analyze_shift
from constitution_studio.core.analysis.trust import format_trust_text, trust_report
from constitution_studio.core.critic import open_critic
from constitution_studio.core.critic.anchored import select_demonstrations
from constitution_studio.core.critic.panel import Panel
from constitution_studio.core.models import CheckSettings
from constitution_studio.core.report.shift_markdown import shift_markdown
from constitution_studio.core.report.shift_text import format_shift_text
from constitution_studio.core.versions import diff_refs
from constitution_studio.core.wording import plural
from constitution_studio.core.workspace import load_root

Member = ScriptedCritic  # a scripted panel member (flip arithmetic only; the Panel itself is the real one)


def _members() -> Panel:
    """m1 flips harm-2 after the reword; m2 never does: harm-2's flip is disputed at head."""

    def m1(pid: str, statement: str, cid: str, variant: str) -> float:
        if pid == "HARM-01" and cid == "harm-2":
            return 0.97 if statement == REWORDED else 0.2
        return stable_noise(pid, cid)

    def m2(pid: str, statement: str, cid: str, variant: str) -> float:
        if pid == "HARM-01" and cid == "harm-2":
            return 0.3
        return stable_noise(pid, cid)

    return Panel([("m1", Member(m1)), ("m2", Member(m2))])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return build_repo(tmp_path / "repo", "scripted", head_edit=reword_move_add)


def test_panel_flip_the_members_dispute_is_listed_apart_and_never_gated(repo: Path) -> None:
    diff, base, head = diff_refs(repo, "main", "head")
    panel = _members()
    assert member_judges(panel.variants) == ["m1:default", "m2:default"]
    report = analyze_shift(base, head, diff, panel)
    harm2 = next(c for c in report.cases if c.case_id == "harm-2")
    # mean log-odds of 0.97 and 0.3 is above 0.5: the panel flips, its members disagree at head
    assert harm2.flipped and harm2.disputed and not harm2.stable
    assert report.disputed == ["harm-2"]
    assert all(c.case_id == "harm-2" or not c.disputed for c in report.cases)
    harm = next(p for p in report.principles if p.principle_id == "HARM-01")
    assert "harm-2" not in harm.stats.gold_regressions and harm.stats.n_flips_stable == 0
    gates = evaluate_gates(CheckSettings(max_stable_flips_per_principle=0), [], report)
    assert not [g for g in gates if not g.passed and (g.principle_id == "HARM-01" or "harm-2" in g.message)]
    text, md = format_shift_text(report), shift_markdown(report)
    assert "disputed flips (panel members disagree at base or head; never counted): harm-2" in text
    assert "### Disputed flips" in md and "`harm-2`" in md.split("### Disputed flips")[1]
    assert "panel of 2 critics: m1=scripted (plain), m2=scripted (plain)" in text
    assert "**Panel of 2 critics:**" in md


def test_panel_of_two_tiny_models_through_shift_and_eval(
    tmp_path: Path, tiny_model_dir: Path, tiny_model_dir_seed1: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def with_panel(v: Version) -> None:
        v.critic_extra = f'  panel: ["{tiny_model_dir}", "{tiny_model_dir_seed1}"]\n  device: cpu\n'

    root = build_repo(tmp_path / "repo", str(tiny_model_dir), base_edit=with_panel, head_edit=reword_move_add)
    assert main(["shift", "main", "head", "--root", str(root), "--format", "json"]) == 0  # judged by the base's panel
    report = json.loads(capsys.readouterr().out)
    assert report["critic"]["panel"] == [f"m1={tiny_model_dir} (plain)", f"m2={tiny_model_dir_seed1} (plain)"]
    assert any(v.startswith("m2:") for v in report["variants"])
    cases = {c["case_id"]: c for c in report["cases"]}
    assert set(report["disputed"]) == {cid for cid, c in cases.items() if c["disputed"]}
    for cid in report["disputed"]:
        assert cases[cid]["flipped"] and not cases[cid]["stable"]
    assert report["model_calls"] > 0  # each member's calls, counted across its release
    assert main(["shift", "main", "head", "--root", str(root), "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["model_calls"] == 0 and again["cached"] == again["requests"]  # docs/ci.md's sign of a cached run
    assert main(["eval", "--root", str(root), "--format", "json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert len(evaluated["critic"]["panel"]) == 2 and evaluated["cases"]


def test_anchored_leaves_its_demonstrations_out_of_agreement(repo: Path, tiny_critic_settings) -> None:  # type: ignore[no-untyped-def]
    ws = load_root(repo)
    critic = open_critic(tiny_critic_settings.model_copy(update={"anchored_k": 2}), repo, method="anchored")
    version, selected, run = score_version(ws, critic)
    report = summarize(version, selected, run, critic)
    expected = {pid: select_demonstrations(pid, ws.cases.values(), 2).ids for pid in ws.principles}
    assert report.trust.demonstrations == {pid: sorted(ids) for pid, ids in expected.items() if ids}
    assert set(critic.demonstrations) == set(ws.principles)  # the judge was given them
    unexcluded = trust_report(version, excluded={})  # the same verdicts with nothing left out
    shown = {cid for ids in expected.values() for cid in ids}
    rows_shown = sum(1 for cid, c in ws.cases.items() if c.gold and cid in shown)
    assert report.trust.excluded == rows_shown > 0
    assert report.trust.overall.n == unexcluded.overall.n - rows_shown
    for pt in report.trust.principles:
        before = next(p for p in unexcluded.principles if p.principle_id == pt.principle_id)
        assert pt.agreement.n + pt.excluded == before.agreement.n
    harm = next(p for p in report.trust.principles if p.principle_id == "HARM-01")
    assert harm.excluded == 2  # harm-* cases HARM-01 decides: both demonstrations count against its n
    assert f"{plural(rows_shown, 'gold case')} left out of overall agreement" in format_trust_text(report.trust)
    critic.close()


def test_anchored_shift_excludes_the_base_demonstrations(repo: Path, tiny_critic_settings) -> None:  # type: ignore[no-untyped-def]
    diff, base, head = diff_refs(repo, "main", "head")
    critic = open_critic(tiny_critic_settings.model_copy(update={"anchored_k": 2}), repo, method="anchored")
    report = analyze_shift(base, head, diff, critic)
    expected = {pid: select_demonstrations(pid, base.cases.values(), 2).ids for pid in base.principles}
    assert report.trust.demonstrations == {pid: sorted(ids) for pid, ids in expected.items() if ids}
    assert report.trust.excluded > 0
    assert "left out of agreement" in shift_markdown(report)
    assert "left out of overall agreement" in format_shift_text(report)
    critic.close()
