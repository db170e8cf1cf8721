"""The gate rules and the check's reports (layout golden files use a scripted critic; see shift_support)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fixtures.shift_support import (
    ADDED_CASE,
    CASES,
    PAIR,
    REWORDED,
    ScriptedCritic,
    Version,
    build_repo,
    reword_move_add,
    stable_noise,
)

from constitution_studio.core.analysis.gate import CheckResult, check_versions, effective_settings
from constitution_studio.core.analysis.trust import TrustLevel
from constitution_studio.core.models import CheckSettings
from constitution_studio.core.report.check_json import check_json
from constitution_studio.core.report.check_junit import check_junit
from constitution_studio.core.report.check_markdown import MARKER, check_markdown
from constitution_studio.core.report.check_text import check_text
from constitution_studio.core.versions import diff_refs

GOLDEN = Path(__file__).parent.parent / "fixtures" / "golden"
GOLD = {cid: v[3] for cid, v in CASES.items()} | {PAIR["id"]: PAIR["gold"], ADDED_CASE[0]: ADDED_CASE[4]}

STARTED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # the goldens' fixed check start


def good_table(pid: str, statement: str, cid: str, variant: str) -> float:
    """Agrees with gold everywhere, except that the base wording of HARM-01 gets harm-2 wrong."""
    if cid == "harm-2" and pid == "HARM-01" and statement != REWORDED:
        return 0.7
    gold = GOLD.get(cid)
    if gold is None:
        return 0.2
    return 0.9 if gold in ("violates", "a") else 0.1


def noisy_table(pid: str, statement: str, cid: str, variant: str) -> float:
    """Noise, plus a planted stable regression (harm-1) and an unstable flip (harm-3)."""
    head = statement == REWORDED
    if pid == "HARM-01" and cid == "harm-1":
        return 0.3 if head else 0.8
    if pid == "HARM-01" and cid == "harm-3":
        return 0.2 if head else (0.6 if variant == "default" else 0.4)
    return stable_noise(pid, statement, cid, variant)


def run(tmp_path: Path, table, check: str = "") -> CheckResult:  # type: ignore[no-untyped-def]
    def head(v: Version) -> None:
        reword_move_add(v)
        v.check = check

    def base(v: Version) -> None:
        v.check = check  # both sides: the stricter of base and head applies

    root = build_repo(tmp_path / "repo", "scripted", base_edit=base, head_edit=head)
    diff, b, h = diff_refs(root, "main", "head")
    return check_versions(root, b, h, diff, open_judge=lambda *a, **k: ScriptedCritic(table))


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CSTUDIO_UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; rerun with CSTUDIO_UPDATE_GOLDEN=1 if intended"


def test_pass_with_a_good_critic(tmp_path: Path) -> None:
    result = run(tmp_path, good_table)
    assert result.passed
    assert result.shift is not None and result.shift.trust.level is TrustLevel.GOOD
    assert result.shift.overall.gold_fixes == ["harm-2"]
    md = check_markdown(result)
    assert md.startswith(MARKER)
    assert "[!WARNING]" not in md
    golden("check_pass_good.md", md)


def test_fail_with_an_untrusted_critic(tmp_path: Path) -> None:
    result = run(tmp_path, noisy_table)
    assert not result.passed
    assert result.shift is not None
    assert result.shift.trust.level in (TrustLevel.UNTRUSTED, TrustLevel.WEAK)
    assert "harm-1" in result.shift.overall.gold_regressions
    harm3 = next(c for c in result.shift.cases if c.case_id == "harm-3")
    assert harm3.flipped and not harm3.stable
    assert "harm-3" not in result.shift.overall.gold_regressions  # inside the noise band: never counted
    assert (
        result.shift.overall.flips_unstable.get("complies->violates", 0)
        + result.shift.overall.flips_unstable.get("violates->complies", 0)
        >= 1
    )
    md = check_markdown(result)
    if result.shift.trust.level is TrustLevel.UNTRUSTED:
        assert "indistinguishable from chance" in md
        # a gold regression fails it; the critic that found it cannot tell either, and the report says so
        assert result.status == "failed" and {g.rule for g in result.failures} == {"gold_regression", "trust"}
        assert "> **⚠️ inconclusive — this critic cannot tell" in md
    assert md.index("Critic trust") < md.index("| Gate |") < md.index("| Principle |")
    assert "_unstable: the judge variants disagree at base or head (not counted)_" in md
    golden("check_fail_untrusted.md", md)
    golden("check_fail_untrusted.junit.xml", check_junit(result, started=STARTED, seconds=12.5))


def test_junit_has_one_test_per_principle_named_by_its_id(tmp_path: Path) -> None:
    result = run(tmp_path, noisy_table)
    suite = ET.fromstring(check_junit(result, started=STARTED, seconds=12.5))
    principles = [tc for tc in suite.iter("testcase") if tc.get("classname") == "principles"]
    assert [tc.get("name") for tc in principles] == [
        p.principle_id
        for p in result.shift.principles  # type: ignore[union-attr]
    ]
    harm = next(tc for tc in principles if tc.get("name") == "HARM-01")
    assert harm.find("failure") is not None
    assert "Title of HARM-01" in (harm.findtext("system-out") or "")  # the title is output, not the name
    assert (suite.get("timestamp"), suite.get("time")) == ("2026-01-02T03:04:05", "12.500")
    assert int(suite.get("failures", "0")) == sum(tc.find("failure") is not None for tc in suite.iter("testcase"))


def test_min_kappa_gate_fails_and_says_why(tmp_path: Path) -> None:
    result = run(tmp_path, good_table, check="  min_kappa: 0.5\n")
    assert result.passed  # kappa is 1.0 with the good critic
    failing = run(
        tmp_path / "noisy",
        noisy_table,
        check="  min_kappa: 0.9\n  fail_on_gold_regression: false\n  on_untrusted: warn\n",
    )
    assert [g.rule for g in failing.failures] == ["min_kappa"]
    md = check_markdown(failing)
    assert "**Why it failed:**" in md and "at least 0.90 required" in md
    data = check_json(failing)
    assert data["failures"] == ["min_kappa"]
    assert data["shift"]["trust"]["overall"]["kappa"]["value"] is not None
    assert "FAILED" in check_text(failing)


def test_stable_flip_cap_and_over_refusal(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        noisy_table,
        check=(
            "  fail_on_gold_regression: false\n  max_stable_flips_per_principle: 0\n  max_over_refusal_increase: 1.0\n"
            "  on_untrusted: warn\n"
        ),
    )
    rules = {g.rule for g in result.failures}
    assert rules == {"stable_flips"}
    assert all(g.principle_id for g in result.failures)


def test_invalid_head_fails_the_validation_gate(tmp_path: Path) -> None:
    def head(v: Version) -> None:
        v.priority = ["HARM-01", "HON-01", "HELP-01", "NOPE-01"]

    root = build_repo(tmp_path / "repo", "scripted", head_edit=head)
    diff, b, h = diff_refs(root, "main", "head")
    result = check_versions(root, b, h, diff, open_judge=lambda *a, **k: pytest.fail("no scoring when invalid"))
    assert not result.passed and result.shift is None
    assert [g.rule for g in result.failures] == ["validation"]
    assert "priority-unknown-id" in check_markdown(result)


def test_a_head_cannot_relax_the_gate_it_is_judged_by(tmp_path: Path) -> None:
    def head(v: Version) -> None:
        reword_move_add(v)
        v.check = "  fail_on_gold_regression: false\n"

    root = build_repo(tmp_path / "repo", "scripted", head_edit=head)
    diff, b, h = diff_refs(root, "main", "head")
    result = check_versions(root, b, h, diff, open_judge=lambda *a, **k: ScriptedCritic(noisy_table))
    assert "gold_regression" in {g.rule for g in result.failures}


def test_the_stricter_settings_apply() -> None:
    base = CheckSettings(max_over_refusal_increase=0.05, max_stable_flips_per_principle=None, min_kappa=0.2)
    head = CheckSettings(
        fail_on_gold_regression=False, max_over_refusal_increase=0.5, max_stable_flips_per_principle=3, min_kappa=0.4
    )
    eff = effective_settings(base, head)
    assert eff.fail_on_gold_regression
    assert eff.max_over_refusal_increase == 0.05
    assert eff.max_stable_flips_per_principle == 3
    assert eff.min_kappa == 0.4
    assert effective_settings(None, None) == CheckSettings()
