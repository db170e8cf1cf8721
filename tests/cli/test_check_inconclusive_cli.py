"""`cstudio check` with a critic that cannot tell (issue 18): "inconclusive" is a verdict, never "passed".

The tiny random-weight model is the critic: over the base's gold its trust is untrusted or
unknown, whatever it says about the change. Every output heads with "inconclusive" and the exit
code is 1; `check.on_untrusted: warn` on both sides exits 0 and still says inconclusive.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fixtures.shift_support import Version, build_repo, git

from constitution_studio.cli import main


def _repo(tmp_path: Path, model: str, base_check: str = "", head_check: str = "") -> Path:
    def base(v: Version) -> None:
        v.check = base_check

    def head(v: Version) -> None:
        v.check = head_check

    # an unchanged constitution apart from `check:`: nothing flips, nothing regresses
    return build_repo(tmp_path / "repo", model, base_edit=base, head_edit=head if head_check != base_check else None)


def _check(root: Path, out: Path) -> int:
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
            str(out / "c.md"),
            "--json",
            str(out / "c.json"),
            "--junit",
            str(out / "c.xml"),
            "--sarif",
            str(out / "c.sarif"),
            "--format",
            "github",
        ]
    )


def _outputs(out: Path, stdout: str, stderr: str) -> dict[str, str]:
    return {
        "markdown": (out / "c.md").read_text(),
        "json": (out / "c.json").read_text(),
        "junit": (out / "c.xml").read_text(),
        "sarif": (out / "c.sarif").read_text(),
        "github": stdout,
        "text": stderr,
    }


@pytest.mark.parametrize(
    ("base_check", "head_check", "code"),
    [
        ("", "", 1),  # the default: inconclusive fails
        ("  on_untrusted: warn\n", "  on_untrusted: warn\n", 0),  # both sides warn: exit 0, still inconclusive
        ("", "  on_untrusted: warn\n", 1),  # the head alone cannot relax it
    ],
)
def test_an_untrusted_critic_is_inconclusive_in_every_output(
    tmp_path: Path,
    tiny_model_dir: Path,
    capsys: pytest.CaptureFixture[str],
    base_check: str,
    head_check: str,
    code: int,
) -> None:
    root = _repo(tmp_path, str(tiny_model_dir), base_check, head_check)
    capsys.readouterr()
    assert _check(root, tmp_path) == code
    captured = capsys.readouterr()
    outs = _outputs(tmp_path, captured.out, captured.err)

    data = json.loads(outs["json"])
    assert data["status"] == "inconclusive" and data["passed"] is (code == 0)
    assert data["shift"]["trust"]["level"] in ("untrusted", "unknown")
    assert data["inconclusive"].startswith("inconclusive — this critic cannot tell")
    assert "κ " in data["inconclusive"] and "AUC " in data["inconclusive"]
    assert any(a.startswith("more gold") for a in data["conclusive_advice"])
    assert (data["failures"] == ["trust"]) is (code == 1)

    md = outs["markdown"]
    title = md.splitlines()[1]
    assert title.startswith("## Constitution check ⚠️ inconclusive") and "passed" not in title
    assert "> **⚠️ inconclusive — this critic cannot tell" in md and "To make it conclusive:" in md
    assert "calibrate" in md and "served judge" in md
    trust_row = next(line for line in md.splitlines() if line.startswith("| trust |"))
    assert trust_row.startswith("| trust | ⚠️ inconclusive |" if code == 0 else "| trust | ❌ fail |")  # never ✅
    trust_line = next(line for line in outs["text"].splitlines() if line.split()[1:2] == ["trust"])
    assert trust_line.split()[0] == ("WARN" if code == 0 else "FAIL")

    suite = ET.fromstring(outs["junit"])
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["status"] == "inconclusive" and props["inconclusive"] == data["inconclusive"]
    trust = next(tc for tc in suite.iter("testcase") if tc.get("name") == "trust")
    if code == 1:
        assert trust.find("failure") is not None
    else:
        skipped = trust.find("skipped")  # a warning is not a pass
        assert skipped is not None and skipped.get("message") == data["inconclusive"]

    sarif = json.loads(outs["sarif"])["runs"][0]
    assert sarif["properties"]["status"] == "inconclusive"
    results = [r for r in sarif["results"] if r["ruleId"] == "check/trust"]
    assert [r["level"] for r in results] == ["error" if code == 1 else "warning"]

    github = outs["github"]
    assert f"::{'error' if code == 1 else 'warning'} " in github and "inconclusive" in github
    assert "constitution check ⚠️ inconclusive — this critic cannot tell" in github.splitlines()[-1]
    assert "constitution check passed" not in github

    last = outs["text"].splitlines()[-1]
    assert "⚠️ inconclusive — this critic cannot tell" in last and "passed" not in last


@pytest.mark.slow
def test_the_example_checked_against_itself_is_inconclusive_and_says_why(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The repository's own example constitution, head = base: nothing changes, yet a critic with no
    signal over its 120 gold cases must not make that a pass (docs/ci.md, "Inconclusive")."""
    example = Path(__file__).resolve().parents[2]
    root = tmp_path / "example"
    root.mkdir()
    shutil.copytree(example / "principles", root / "principles")
    shutil.copytree(example / "eval_cases", root / "eval_cases")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "example")
    capsys.readouterr()
    code = main(["check", "--base", "main", "--root", str(root), "--critic-model", str(tiny_model_dir), "--json", "-"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    # the example sets check.on_untrusted: warn (its demo check stays green), so exit 0, still inconclusive
    assert code == 0 and data["status"] == "inconclusive" and data["failures"] == []
    assert not [g for g in data["gates"] if g["rule"] != "trust" and not g["passed"]]
    trust = data["shift"]["trust"]["overall"]
    assert trust["level"] in ("untrusted", "unknown") and trust["n"] == data["shift"]["answer_key"]["gold_cases"] == 120
    assert data["inconclusive"].startswith("inconclusive — this critic cannot tell")
    assert f"on {trust['n']} cases" in data["inconclusive"] or f"{trust['n']} of the base's" in data["inconclusive"]
    assert "⚠️ inconclusive — this critic cannot tell" in captured.err.splitlines()[-1]
