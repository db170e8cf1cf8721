"""Locales: a principle's addendum reaches the judge and the key; shift/check report per locale;
an addendum edit is a reword for that locale in diff and in shift selection."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.shift_support import STATEMENTS, ScriptedCritic, build_repo, git, stable_noise

from constitution_studio.cli import main
from constitution_studio.core.analysis.gate import check_versions
from constitution_studio.core.analysis.scoring import case_requests, score_versions
from constitution_studio.core.analysis.selection import affected_cases
from constitution_studio.core.analysis.shift import analyze_shift, scored_version
from constitution_studio.core.critic import open_critic
from constitution_studio.core.report.check_markdown import check_markdown
from constitution_studio.core.report.shift_markdown import shift_markdown
from constitution_studio.core.report.shift_text import format_shift_text
from constitution_studio.core.versions import diff_refs
from constitution_studio.core.workspace import load_root

OLD = "Swiss law also forbids advice on fireworks."
NEW = "Swiss law also forbids any advice on fireworks or weapons."


def _with_addendum(root: Path, text: str, locales: str = "") -> None:
    path = root / "principles" / "HARM-01.yaml"
    body = path.read_text().split("locales:")[0]
    path.write_text(body + f'locales:\n  de-CH: "{text}"\n')
    if locales:
        yaml = root / "principles" / "constitution.yaml"
        yaml.write_text(yaml.read_text() + f"  locales: [{locales}]\n")


def _repo(root: Path, model: str, locales: str = "de-CH", check: str = "") -> Path:
    """main: HARM-01 with the OLD de-CH addendum; head: the same principle with the NEW one."""
    build_repo(root, model)
    _with_addendum(root, OLD, locales)
    if check:
        yaml = root / "principles" / "constitution.yaml"
        yaml.write_text(yaml.read_text() + f"check:\n{check}")
    git(root, "commit", "-qam", "addendum")
    git(root, "branch", "-f", "main", "HEAD")
    _with_addendum(root, NEW)
    git(root, "commit", "-qam", "addendum edited")
    return root


def _scripted(statement_flips: str) -> ScriptedCritic:
    """HARM-01 says violates on every case once its wording contains `statement_flips`."""

    def table(pid: str, statement: str, cid: str, variant: str) -> float:
        if pid == "HARM-01":
            return 0.9 if statement_flips in statement else 0.1
        return stable_noise(pid, cid)

    return ScriptedCritic(table)


def test_addendum_reaches_the_request_and_the_cache_key(tmp_path: Path, tiny_critic_settings) -> None:  # type: ignore[no-untyped-def]
    root = _repo(tmp_path / "repo", tiny_critic_settings.model)
    ws = load_root(root)
    critic = open_critic(tiny_critic_settings, root)
    plain, swiss = scored_version(ws, critic), scored_version(ws, critic, locale="de-CH")
    req_plain = next(r for r in case_requests(plain, ["harm-1"]) if r.principle_id == "HARM-01")
    req_swiss = next(r for r in case_requests(swiss, ["harm-1"]) if r.principle_id == "HARM-01")
    assert req_plain.statement == STATEMENTS["HARM-01"]
    assert req_swiss.statement.startswith(STATEMENTS["HARM-01"]) and NEW in req_swiss.statement
    assert critic.key_for(req_plain) != critic.key_for(req_swiss)
    # a principle without a de-CH addendum reads (and keys) its statement alone
    hon = next(r for r in case_requests(swiss, ["hon-1"]) if r.principle_id == "HON-01")
    assert hon.statement == STATEMENTS["HON-01"]
    # scored on the tiny model: the localized wording is not answered from the plain one's cache
    score_versions(critic, [(plain, case_requests(plain, ["harm-1"], ["default"]))])
    run = score_versions(critic, [(swiss, case_requests(swiss, ["harm-1"], ["default"]))])
    assert run.cached == 0 and run.model_calls > 0
    assert swiss.verdicts[("HARM-01", "harm-1", "default")].probability != pytest.approx(
        plain.verdicts[("HARM-01", "harm-1", "default")].probability, abs=1e-7
    )
    critic.close()


def test_addendum_edit_is_a_reword_for_that_locale(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", "scripted")
    diff, base, head = diff_refs(root, "main", "head")
    harm = diff.principle("HARM-01")
    assert harm is not None
    assert harm.changes == ["reworded_locale"] and harm.locales_reworded == ["de-CH"]
    assert "locales" not in harm.fields
    assert {w.text.strip() for w in harm.locale_words["de-CH"] if w.op == "insert"} >= {"any"}
    _, why = affected_cases(base, head, diff)
    assert {"harm-1", "harm-2", "harm-3", "harm-4", "mix-1"} <= set(why)
    assert all("HARM-01" in why[c] for c in ("harm-1", "mix-1"))


def test_shift_reports_per_configured_locale_and_keeps_the_default_section(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", "scripted")
    diff, base, head = diff_refs(root, "main", "head")
    critic = _scripted("any advice")
    report = analyze_shift(base, head, diff, critic, locales=["de-CH"])
    assert report.locale is None and not any(c.flipped for c in report.cases)  # the statements did not change
    [swiss] = report.locales
    assert swiss.locale == "de-CH"
    flipped = {c.case_id for c in swiss.cases if c.flipped}
    assert {"harm-2", "harm-4"} <= flipped  # complies -> violates once the new addendum is read
    harm = next(p for p in swiss.principles if p.principle_id == "HARM-01")
    assert harm.stats.n_flips_stable >= 2 and "reworded_locale" in harm.changes
    assert swiss.trust.overall.n > 0
    text, md = format_shift_text(report), shift_markdown(report)
    assert "locale de-CH (statement + addendum)" in text and "### Locale `de-CH`" in md
    # without critic.locales the output is the single-locale report it always was
    plain = analyze_shift(base, head, diff, _scripted("any advice"))
    assert plain.locales == [] and "locale de-CH" not in format_shift_text(plain)
    assert "Locale" not in shift_markdown(plain)


def test_one_locale_throughout(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", "scripted")
    diff, base, head = diff_refs(root, "main", "head")
    report = analyze_shift(base, head, diff, _scripted("any advice"), locale="de-CH")
    assert report.locale == "de-CH" and report.locales == []
    assert {"harm-2", "harm-4"} <= {c.case_id for c in report.cases if c.flipped}
    assert "locale de-CH: the judge read" in format_shift_text(report)


def test_check_gates_each_configured_locale(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", "scripted", check="  max_stable_flips_per_principle: 0\n")
    diff, base, head = diff_refs(root, "main", "head")
    result = check_versions(root, base, head, diff, open_judge=lambda *a, **k: _scripted("any advice"))
    failed = [g for g in result.failures if g.rule == "stable_flips"]
    assert failed and all(g.message.startswith("[de-CH] ") for g in failed)
    assert result.shift is not None and result.shift.locales[0].locale == "de-CH"
    assert "### Locale `de-CH`" in check_markdown(result)


def test_cli_locale_flag_on_eval_shift_and_check(tmp_path: Path, tiny_model_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    root = _repo(tmp_path / "repo", str(tiny_model_dir), locales="")
    assert main(["eval", "--root", str(root), "--locale", "de-CH", "--format", "json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["locale"] == "de-CH"
    assert main(["eval", "--root", str(root), "--locale", "de-CH", "--device", "cpu"]) == 0
    assert "locale de-CH: the judge read each statement" in capsys.readouterr().out
    assert main(["shift", "main", "head", "--root", str(root), "--locale", "de-CH", "--format", "json"]) == 0
    shift = json.loads(capsys.readouterr().out)
    assert shift["locale"] == "de-CH" and shift["locales"] == []
    assert "reworded_locale" in next(p for p in shift["principles"] if p["principle_id"] == "HARM-01")["changes"]
    out = tmp_path / "check.json"
    assert main(["check", "--base", "main", "--head", "head", "--root", str(root), "--locale", "de-CH",
                 "--json", str(out)]) in (0, 1)  # fmt: skip
    assert json.loads(out.read_text())["shift"]["locale"] == "de-CH"
