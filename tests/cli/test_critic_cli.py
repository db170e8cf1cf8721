"""`cstudio eval`, `calibrate` and `cache` end to end on the tiny in-process critic model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from constitution_studio.cli import main
from constitution_studio.core.workspace import load_root
from constitution_studio.core.yamldoc import YamlDocument
from tests.fixtures.report_schema import check_report

MINI = Path(__file__).parents[1] / "fixtures" / "mini"


def _use_model(root: Path, model_dir: Path) -> None:
    doc = YamlDocument.load(root / "principles" / "constitution.yaml")
    doc.set(["critic", "model"], str(model_dir))
    doc.set(["critic", "device"], "cpu")
    doc.save()


@pytest.fixture
def mini(tmp_path: Path, tiny_model_dir: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))
    _use_model(root, tiny_model_dir)
    return root


def test_eval_json_then_warm_run_is_all_cached(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--root", str(mini), "--format", "json"]) == 0
    cold = json.loads(capsys.readouterr().out)
    check_report(cold)  # cstudio.eval/1 against docs/schema
    ws = load_root(mini)
    # one verdict and one engagement answer per (linked principle, case); identical requests once
    linked = sum(len(set(c.principles)) for c in ws.cases.values())
    assert cold["cached"] == 0 and linked < cold["scored"] <= 2 * linked
    assert cold["critic"]["template_set"] and cold["critic"]["method"] == "plain"
    assert {p["principle_id"] for p in cold["principles"]} <= set(ws.principles)
    assert len(cold["cases"]) == len(ws.cases)
    for case in cold["cases"]:
        v = case["verdict"]
        assert v["deciding"] in v["labels"] and set(v["engaged"]) <= set(v["labels"])
        assert v["deciding"] == (min(v["engaged"], key=ws.priority.index) if v["engaged"] else v["deciding"])

    assert main(["eval", "--root", str(mini), "--format", "json"]) == 0
    warm = json.loads(capsys.readouterr().out)
    assert warm["scored"] == 0 and warm["cached"] == cold["scored"]
    assert warm["cases"] == cold["cases"]


def test_eval_text_table_and_principle_filter(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--root", str(mini), "--principle", "HARM-01"]) == 0
    out = capsys.readouterr().out
    assert "critic:" in out and "HARM-01" in out and "over-ref" in out
    assert "HELP-01    " not in out.split("overall:")[0]


def test_eval_unknown_principle_is_bad_input(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--root", str(mini), "--principle", "NOPE-01"]) == 2
    assert "NOPE-01" in capsys.readouterr().err


def test_eval_missing_model_is_one_line_exit_2(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = YamlDocument.load(mini / "principles" / "constitution.yaml")
    doc.set(["critic", "model"], str(mini / "no-such-model"))
    doc.save()
    assert main(["eval", "--root", str(mini)]) == 2
    err = capsys.readouterr().err
    assert "no-such-model" in err and len(err.strip().splitlines()) == 1


def test_cache_stats_and_clear(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--root", str(mini), "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["cache", "stats", "--root", str(mini), "--format", "json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["entries"] > 0
    assert (mini / ".cstudio" / ".gitignore").exists()
    assert main(["cache", "clear", "--root", str(mini)]) == 0
    assert "cleared" in capsys.readouterr().out
    assert main(["eval", "--root", str(mini), "--format", "json", "--no-cache"]) == 0
    assert json.loads(capsys.readouterr().out)["cached"] == 0


CASES = """\
cases:
{items}
"""


def test_calibrate_writes_thresholds_and_keeps_comments(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "cal"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))
    _use_model(root, tiny_model_dir)
    items = []
    for i in range(10):
        gold = "violates" if i % 2 else "complies"
        items.append(
            f"  - id: cal-{i:02d}\n    principles: [HELP-01]\n    prompt: Question number {i}?\n"
            f"    response: {'No.' if i % 2 else 'Sure, here is the answer ' + 'and more ' * i}\n    gold: {gold}\n"
        )
    (root / "eval_cases" / "cal.yaml").write_text(CASES.format(items="".join(items)))
    before = (root / "principles" / "constitution.yaml").read_text()
    assert main(["calibrate", "--root", str(root), "--format", "json", "--all"]) == 0
    report = json.loads(capsys.readouterr().out)
    check_report(report)  # cstudio.calibrate/1 against docs/schema
    help01 = next(p for p in report["principles"] if p["principle_id"] == "HELP-01")
    assert help01["n"] >= 10 and help01["threshold"] is not None and help01["kept"]
    assert set(help01["after_cv"]) == {"accuracy", "balanced_accuracy", "kappa"}
    after = (root / "principles" / "constitution.yaml").read_text()
    assert "# serious harm first" in after and "# Critic and gate settings." in after
    assert after.startswith(before.split("critic:")[0])
    ws = load_root(root)
    assert not ws.errors
    assert ws.constitution is not None
    assert ws.constitution.critic.calibration["HELP-01"].threshold == pytest.approx(help01["threshold"], abs=1e-4)


def test_importing_the_critic_does_not_import_torch() -> None:
    code = (
        "import sys; import constitution_studio.core.critic, constitution_studio.cli.critic_cmd; "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_eval_at_a_git_ref(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=mini, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "base")
    (mini / "principles" / "HARM-01.yaml").unlink()  # the work tree changes; the ref does not
    assert main(["eval", "--root", str(mini), "--ref", "HEAD", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "HARM-01" in {p["principle_id"] for p in report["principles"]}
    assert main(["eval", "--root", str(mini), "--ref", "no-such-ref"]) == 2
