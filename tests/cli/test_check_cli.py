"""`cstudio check` end to end on temp repos with the tiny real critic: exit codes, reports, the cache."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fixtures.shift_support import REWORDED, STATEMENTS, Version, build_repo, git, reword_move_add, thresholds

from constitution_studio.cli import main
from constitution_studio.core.critic import ScoreRequest, open_critic
from constitution_studio.core.models import CriticSettings
from constitution_studio.core.versions import load_version


def _probabilities(root: Path, model: str, case_id: str) -> tuple[list[float], list[float]]:
    """HARM-01's P(violates) for one case under the base and the head wording, per judge variant."""
    ws = load_version(root, "main")
    critic = open_critic(CriticSettings(model=model), root)
    out: dict[str, list[float]] = {STATEMENTS["HARM-01"]: [], REWORDED: []}
    for variant in critic.variants:
        for statement in out:
            score = next(iter(critic.score([ScoreRequest("HARM-01", statement, ws.cases[case_id], variant)])))
            out[statement].append(score.probability)
    return out[STATEMENTS["HARM-01"]], out[REWORDED]


def _stable_flip(probe: Path, model: str) -> tuple[str, float, str, str]:
    """A HARM-01 case whose label flips with the rewording under *every* judge variant (a stable
    flip, which is what gates count), the threshold between the two wordings, and both labels."""
    for cid in ("harm-1", "harm-2", "harm-3", "harm-4"):
        base_ps, head_ps = _probabilities(probe, model, cid)
        if max(base_ps) < min(head_ps):
            return cid, (max(base_ps) + min(head_ps)) / 2, "complies", "violates"
        if min(base_ps) > max(head_ps):
            return cid, (min(base_ps) + max(head_ps)) / 2, "violates", "complies"
    raise AssertionError("no HARM-01 case flips stably on the tiny model")


def _repo(tmp_path: Path, model: str, *, regress: bool) -> tuple[Path, str]:
    """Reword HARM-01 (and move, add a case) so one case flips stably; its gold is the base label
    (a regression) or the head's (a fix). Returns the repo and that case."""
    probe = build_repo(tmp_path / "probe", model, head_edit=reword_move_add)
    case, mid, base_label, head_label = _stable_flip(probe, model)

    def setup(v: Version) -> None:
        # the default threshold (a per-principle one would not survive HARM-01's rewording)
        v.critic_extra = f"  threshold: {round(mid, 12)}\n" + thresholds(v.model, HELP_01=1.0, HON_01=1.0)
        # one gold case: the tiny critic's trust is unknown, so the check is inconclusive; these tests
        # are about the gold rule and the reports, so both sides let that warn (test_check_inconclusive_cli)
        v.check = "  max_over_refusal_increase: 1.0\n  on_untrusted: warn\n"
        gold = base_label if regress else head_label
        for cid in list(v.cases):
            pids, prompt, response, _, benign = v.cases[cid]
            # only that case carries gold, so no other case can regress by chance
            v.cases[cid] = (pids, prompt, response, gold if cid == case else None, benign)

    def head(v: Version) -> None:
        reword_move_add(v)
        pids, prompt, response, _, benign = v.cases["hon-4"]
        v.cases["hon-4"] = (pids, prompt, response, "complies", benign)  # HON-01 at 1.0 says complies

    return build_repo(tmp_path / "repo", model, base_edit=setup, head_edit=head), case


def _check(root: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "check",
            "--base",
            "main",
            "--head",
            "head",
            "--root",
            str(root),
            "--markdown",
            str(out / "report.md"),
            "--json",
            str(out / "report.json"),
            "--junit",
            str(out / "report.xml"),
            *extra,
        ]
    )


def test_regression_exits_1_after_writing_reports(tmp_path: Path, tiny_model_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root, case = _repo(tmp_path, str(tiny_model_dir), regress=True)
    assert _check(root, tmp_path) == 1
    out = capsys.readouterr().out
    assert out.startswith("critic ")  # trust first
    assert case in out and "REGRESSION" in out and "FAILED" in out
    md = (tmp_path / "report.md").read_text()
    assert case in md and "gold regression" in md
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["passed"] is False and data["failures"] == ["gold_regression"]
    suite = ET.parse(tmp_path / "report.xml").getroot()
    assert suite.get("failures") != "0"


def test_no_regression_exits_0_and_second_run_scores_nothing(tmp_path: Path, tiny_model_dir: Path) -> None:
    root, case = _repo(tmp_path, str(tiny_model_dir), regress=False)
    assert _check(root, tmp_path) == 0
    first = json.loads((tmp_path / "report.json").read_text())
    assert first["passed"] is True and first["status"] == "inconclusive"  # exit 0 under on_untrusted: warn
    assert first["shift"]["overall"]["gold_fixes"] == [case]
    assert first["shift"]["model_calls"] > 0
    md_first = (tmp_path / "report.md").read_text()
    assert _check(root, tmp_path) == 0
    second = json.loads((tmp_path / "report.json").read_text())
    assert second["shift"]["model_calls"] == 0
    assert second["shift"]["cached"] == second["shift"]["requests"]
    # the PR comment does not change between runs except the cache line
    assert md_first.split("Scored")[0] == (tmp_path / "report.md").read_text().split("Scored")[0]


def test_check_worktree_head_and_git_status_untouched(tmp_path: Path, tiny_model_dir: Path) -> None:
    root, _ = _repo(tmp_path, str(tiny_model_dir), regress=False)
    before = git(root, "status", "--porcelain")
    assert main(["check", "--base", "main", "--root", str(root), "--quiet"]) == 0  # head defaults to WORKTREE
    assert git(root, "status", "--porcelain") == before


@pytest.mark.parametrize("ref", ["nope-branch", "--upload-pack=evil"])
def test_bad_base_ref_exits_2(tmp_path: Path, tiny_model_dir: Path, ref: str, capsys) -> None:  # type: ignore[no-untyped-def]
    root = build_repo(tmp_path / "repo", str(tiny_model_dir))
    assert main(["check", f"--base={ref}", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_base_option_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--root", str(tmp_path)])
    assert exc.value.code == 2


def test_min_kappa_above_measured_exits_1_and_report_explains(tmp_path: Path, tiny_model_dir: Path) -> None:
    def setup(v: Version) -> None:
        v.check = (
            "  min_kappa: 1.0\n  max_over_refusal_increase: 1.0\n  fail_on_gold_regression: false\n"
            "  on_untrusted: warn\n"
        )

    root = build_repo(tmp_path / "repo", str(tiny_model_dir), base_edit=setup, head_edit=reword_move_add)
    assert _check(root, tmp_path) == 1
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["failures"] == ["min_kappa"]
    md = (tmp_path / "report.md").read_text()
    assert "**Why it failed:**" in md and "at least 1.00 required" in md
    assert md.index("Critic trust") < md.index("| Gate |")


def test_unwritable_report_path_exits_2(tmp_path: Path, tiny_model_dir: Path) -> None:
    root = build_repo(tmp_path / "repo", str(tiny_model_dir))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["check", "--base", "main", "--root", str(root), "--markdown", str(blocker / "r.md")]) == 2
    assert os.path.isfile(blocker)


def test_ci_workflow_commands_on_a_clone(tmp_path: Path, tiny_model_dir: Path) -> None:
    """What docs/ci.md's workflow runs: a full clone, base origin/main, head HEAD, reports, exit code."""
    origin, _ = _repo(tmp_path / "origin", str(tiny_model_dir), regress=True)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "head", str(origin), str(clone))
    code = main(
        ["check", "--base", "origin/main", "--head", "HEAD", "--root", str(clone), "--markdown", str(tmp_path / "c.md")]
    )
    assert code == 1
    assert (tmp_path / "c.md").read_text().startswith("<!-- cstudio-check -->")


def test_a_committed_score_cache_is_not_trusted_on_a_fresh_clone(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pull request that commits `.cstudio/critic.sqlite` cannot decide the verdict from it."""
    origin = build_repo(tmp_path / "origin", str(tiny_model_dir), head_edit=reword_move_add)
    assert _check(origin, tmp_path) in (0, 1)  # fills origin's cache with every score the check needs
    git(origin, "add", "-f", ".cstudio/critic.sqlite")
    git(origin, "commit", "-q", "-m", "plant the cache")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "head", str(origin), str(clone))
    git(clone, "branch", "-q", "main", "origin/main")
    capsys.readouterr()
    assert _check(clone, tmp_path) in (0, 1)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["shift"]["cached"] == 0 and report["shift"]["model_calls"] > 0
    assert "tracked" in capsys.readouterr().err  # one warning line says why the cache was not used


def test_a_symlinked_state_dir_is_not_used(tmp_path: Path, tiny_model_dir: Path) -> None:
    elsewhere = tmp_path / "planted"
    origin = build_repo(tmp_path / "repo", str(tiny_model_dir), head_edit=reword_move_add)
    assert _check(origin, tmp_path) in (0, 1)
    (origin / ".cstudio").rename(elsewhere)
    (origin / ".cstudio").symlink_to(elsewhere)
    assert _check(origin, tmp_path) in (0, 1)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["shift"]["cached"] == 0 and report["shift"]["model_calls"] > 0


def test_the_cut_comment_names_the_artifact_it_points_to(tmp_path: Path, tiny_model_dir: Path) -> None:
    """The action uploads the reports as its `artifact-name`; the comment must point there."""
    root, _ = _repo(tmp_path, str(tiny_model_dir), regress=True)
    assert _check(root, tmp_path, "--markdown-budget", "1200", "--markdown-artifact", "policy-reports") == 1
    md = (tmp_path / "report.md").read_text()
    assert len(md) <= 1200 and "(artifact `policy-reports`)" in md and "constitution-check" not in md
    assert _check(root, tmp_path, "--markdown-budget", "1200") == 1
    assert "(artifact `constitution-check`)" in (tmp_path / "report.md").read_text()  # the default name


def test_quiet_writes_reports_without_wrote_lines_and_format_goes_to_output(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = _repo(tmp_path, str(tiny_model_dir), regress=False)  # a conclusive critic: the check passes
    report = tmp_path / "r.json"
    assert main(["check", "--base", "main", "--root", str(root), "--json", str(report), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert report.is_file() and "wrote" not in err
    junit = tmp_path / "r.xml"
    assert (
        main(["check", "--base", "main", "--root", str(root), "--format", "junit", "--output", str(junit), "-q"]) == 0
    )
    captured = capsys.readouterr()
    assert ET.parse(junit).getroot().tag in ("testsuites", "testsuite") and "wrote" not in captured.err
    verdict = captured.out.splitlines()  # the report went to its file: stdout holds the verdict line alone
    assert len(verdict) == 1 and verdict[0].startswith("check main -> WORKTREE: ")
    assert main(["check", "--base", "main", "--root", str(root), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == "cstudio.check/1"
