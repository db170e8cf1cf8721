"""CI outputs: the comment budget (golden at 10, 100 and 10,000 flips), mention neutralising,
SARIF against the official 2.1.0 schema, workflow-command annotations, report schema ids.

The check result comes from the real pipeline on a throwaway repo with the scripted critic
(tests/fixtures/shift_support.py, layout tests only); large results repeat its flipped case.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from fixtures.shift_support import REWORDED, ScriptedCritic, Version, build_repo, reword_move_add, stable_noise

from constitution_studio.cli import main
from constitution_studio.cli.ci_options import DEFAULT_BUDGET as CLI_BUDGET
from constitution_studio.core.analysis.gate import CheckResult, check_versions
from constitution_studio.core.findings import Finding, Severity
from constitution_studio.core.report.check_markdown import MARKER, check_markdown
from constitution_studio.core.report.github import check_annotations, command, finding_annotations
from constitution_studio.core.report.markdown_budget import DEFAULT_BUDGET, fit_check_markdown, important_flips
from constitution_studio.core.report.markdown_escape import ZWSP, md_text
from constitution_studio.core.report.report_schemas import SCHEMA_IDS, report_schema_documents, with_schema
from constitution_studio.core.report.sarif import check_sarif, validate_sarif
from constitution_studio.core.versions import diff_refs
from constitution_studio.core.wording import plural

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
GOLDEN = TESTS / "fixtures" / "golden" / "ci"
SARIF_SCHEMA = json.loads((TESTS / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
DOCS_SCHEMA = TESTS.parent / "docs" / "schema"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CSTUDIO_UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; rerun with CSTUDIO_UPDATE_GOLDEN=1 if intended"


def regress_table(pid: str, statement: str, cid: str, variant: str) -> float:
    """harm-1 (gold violates) flips to complies under the reworded HARM-01: a stable gold regression."""
    if pid == "HARM-01" and cid == "harm-1":
        return 0.2 if statement == REWORDED else 0.9
    return stable_noise(pid, statement, cid, variant)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> CheckResult:
    def base(v: Version) -> None:
        # the hostile text is in the case on both sides: a head that edits a gold case's text
        # changes the base's answer key, which is not what these report tests are about
        hostile = "Ask @alice or see #12 and GH-7 at https://evil.example"
        v.cases["harm-1"] = (["HARM-01"], hostile, *v.cases["harm-1"][2:])

    root = build_repo(tmp_path_factory.mktemp("ci") / "repo", "scripted", base_edit=base, head_edit=reword_move_add)
    diff, b, h = diff_refs(root, "main", "head")
    res = check_versions(root, b, h, diff, open_judge=lambda *a, **k: ScriptedCritic(regress_table))
    assert not res.passed and res.shift is not None and "harm-1" in res.shift.overall.gold_regressions
    return res


def scaled(result: CheckResult, n: int) -> CheckResult:
    """`result` with `n` overall flips: its own, then copies of its first flipped case with spread probabilities."""
    assert result.shift is not None
    seed = next(c for c in result.shift.cases if c.flipped)
    assert seed.base is not None and seed.head is not None
    cases = list(result.shift.cases)
    for i in range(n - sum(c.flipped for c in cases)):
        p = 0.5 + (i * 37 % 100) / 201  # a spread of |Δ| in a fixed order
        cases.append(
            seed.model_copy(
                update={
                    "case_id": f"case-{i:05d}",
                    "gold_regression": i % 7 == 3,
                    "stable": i % 5 != 4,
                    "base": seed.base.model_copy(update={"probability": p}),
                    "head": seed.head.model_copy(update={"probability": 1 - p}),
                }
            )
        )
    return result.model_copy(update={"shift": result.shift.model_copy(update={"cases": cases})})


@pytest.mark.parametrize("n", [10, 100, 10_000])
def test_comment_fits_the_budget(result: CheckResult, n: int) -> None:
    big = scaled(result, n)
    full = check_markdown(big)
    md = fit_check_markdown(big, full)
    assert len(md) <= DEFAULT_BUDGET < 65_536
    assert md.startswith(MARKER) and "| Gate |" in md and "| Principle |" in md  # summary and gates first
    if len(full) <= DEFAULT_BUDGET:
        assert md == full
    else:
        flips = important_flips(big.shift)  # type: ignore[arg-type]
        shown = md.split("### Most important flips", 1)[1].count("\n- ")
        assert f"**{plural(len(flips) - shown, 'more flip')}, " in md and "flip(s)" not in md
        assert "in the full report (artifact `constitution-check`)" in md
        first = md.index("### Most important flips")
        regressions = [i for i in range(len(md)) if md.startswith("**gold regression**", i)]
        assert regressions and regressions[0] > first
        # gold regressions come before every plain stable flip
        body = md[first:].split("\n- ")[1:]
        tiers = [0 if "gold regression" in b else (2 if "_unstable_" in b else 1) for b in body]
        assert tiers == sorted(tiers)
    golden(f"check_{n}_flips.md", md)


def test_budget_zero_is_uncut_and_cli_default_matches(result: CheckResult) -> None:
    big = scaled(result, 2_000)
    full = check_markdown(big)
    assert fit_check_markdown(big, full, 0) == full
    assert CLI_BUDGET == DEFAULT_BUDGET
    small = fit_check_markdown(big, full, 5_000)
    assert len(small) <= 5_000 and small.count("<details>") == small.count("</details>")


def test_case_text_cannot_ping_or_link(result: CheckResult) -> None:
    md = check_markdown(result)
    assert "@alice" not in md and f"@{ZWSP}alice" in md
    assert "#12" not in md and f"#{ZWSP}12" in md
    assert "GH-7" not in md and f"GH{ZWSP}-7" in md
    assert "https://evil" not in md
    assert md_text("mail a@b, team @org/team, repo o/r#5, gh-9") == (
        f"mail a@{ZWSP}b, team @{ZWSP}org/team, repo o/r#{ZWSP}5, gh{ZWSP}-9"
    )
    assert md_text("&#64;bob | <b>") == f"&amp;#{ZWSP}64;bob \\| &lt;b&gt;"  # an entity cannot smuggle an @


def test_cached_rerun_markdown_has_no_cache_counts(result: CheckResult) -> None:
    assert result.shift is not None
    warm = result.model_copy(
        update={"shift": result.shift.model_copy(update={"cached": result.shift.requests, "model_calls": 0})}
    )
    assert check_markdown(warm) == check_markdown(result)


# --- annotations -------------------------------------------------------------------------


def _locate(kind: str, ident: str) -> tuple[str, int, int] | None:
    return {"principle": (f"principles/{ident}.yaml", 3, 1), "check": ("principles/constitution.yaml", 9, 1)}.get(kind)


def test_annotations_golden(result: CheckResult) -> None:
    finding = Finding(
        path="eval_cases/x.yaml", line=4, col=7, severity=Severity.ERROR, code="schema", message="a: b, 100%\nnext"
    )
    warn = finding.model_copy(update={"severity": Severity.WARNING, "code": "unlinked-principle"})
    assert finding_annotations([finding, warn], "policy") == (
        "::error file=policy/eval_cases/x.yaml,line=4,col=7,title=schema::schema: a: b, 100%25%0Anext\n"
        "::warning file=policy/eval_cases/x.yaml,line=4,col=7,title=unlinked-principle::"
        "unlinked-principle: a: b, 100%25%0Anext\n"
    )
    text = check_annotations(result, _locate)
    assert "::error file=principles/HARM-01.yaml,line=3,col=1,title=cstudio check%3A gold_regression::" in text
    assert text.rstrip().splitlines()[-1].startswith("::notice title=cstudio::constitution check failed")
    golden("check_annotations.txt", text)


def test_command_escapes_properties() -> None:
    assert command("error", "m", file="a,b:c.yaml", line=1) == "::error file=a%2Cb%3Ac.yaml,line=1::m\n"
    assert command("notice", "x") == "::notice::x\n"


# --- SARIF -------------------------------------------------------------------------------


def test_sarif_is_valid_2_1_0(result: CheckResult) -> None:
    finding = Finding(path="principles/A-01.yaml", line=2, col=1, severity=Severity.ERROR, code="schema", message="m")
    for log in (validate_sarif([finding], "sub"), validate_sarif([]), check_sarif(result, _locate)):
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    log = check_sarif(result, _locate)
    results = log["runs"][0]["results"]
    assert any(r["ruleId"] == "check/gold_regression" for r in results)
    rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in results)


def test_validate_cli_sarif_and_github(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = build_repo(tmp_path / "repo", "scripted")
    (root / "eval_cases" / "cases.yaml").write_text("cases:\n  - id: x\n    principles: [NOPE-01]\n")
    assert main(["validate", "--root", str(root), "--sarif", str(tmp_path / "v.sarif")]) == 1
    log = json.loads((tmp_path / "v.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert log["runs"][0]["results"]
    capsys.readouterr()
    assert main(["validate", "--root", str(root), "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error file=") and "eval_cases/cases.yaml" in out


# --- report schemas ----------------------------------------------------------------------


def test_report_schemas_in_docs_are_current() -> None:
    for name, text in report_schema_documents().items():
        path = DOCS_SCHEMA / name
        if os.environ.get("CSTUDIO_UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert path.is_file() and path.read_text(encoding="utf-8") == text, (
            f"docs/schema/{name} is stale: python -m constitution_studio.core.report.report_schemas docs/schema"
        )


@pytest.mark.parametrize("first", ["constitution_studio.core.export.rows", "constitution_studio.core.analysis.review"])
def test_published_schemas_do_not_depend_on_import_order(first: str) -> None:
    """typing treats Literal["principle", "case"] and Literal["case", "principle"] as equal, so
    pydantic renders the first it met into every schema: the published files must come out the
    same whichever module a process imports first (CI's test order once made them stale)."""
    program = (
        f"import importlib, json; importlib.import_module({first!r})\n"
        "from constitution_studio.core.report.report_schemas import report_schema_documents\n"
        "from constitution_studio.core.export.schemas import row_schema_documents\n"
        "print(json.dumps({**report_schema_documents(), **row_schema_documents()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    for name, text in json.loads(done.stdout).items():
        assert (DOCS_SCHEMA / name).read_text(encoding="utf-8") == text, f"docs/schema/{name} after importing {first}"


def test_check_and_shift_json_validate_against_their_schemas(result: CheckResult) -> None:
    from constitution_studio.core.report.check_json import check_json
    from constitution_studio.core.report.shift_json import shift_json

    check = json.loads((DOCS_SCHEMA / "check.report.schema.json").read_text())
    shift = json.loads((DOCS_SCHEMA / "shift.report.schema.json").read_text())
    data = json.loads(json.dumps(with_schema("check", check_json(result))))
    jsonschema.Draft202012Validator(check).validate(data)
    assert result.shift is not None
    shift_data = json.loads(json.dumps(with_schema("shift", shift_json(result.shift))))
    jsonschema.Draft202012Validator(shift).validate(shift_data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(check).validate({**data, "schema": "cstudio.check/2"})
    assert set(SCHEMA_IDS) >= {"eval", "shift", "check", "review", "trust", "diff"}


# --- the critic extra --------------------------------------------------------------------


@pytest.mark.parametrize("command", [["eval"], ["calibrate"], ["shift"], ["check", "--base", "HEAD"]])
def test_critic_command_without_the_extra_is_one_line_exit_2(tmp_path: Path, command: list[str]) -> None:
    root = build_repo(tmp_path / "repo", "scripted")
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None\n"
        "from constitution_studio.cli import main\n"
        f"sys.exit(main({[*command, '--root', str(root)]!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and done.stdout == ""
    assert "torch, transformers missing; install the critic extra:" in lines[0]
    assert "-m pip install" in lines[0] and "[critic]" in lines[0]


BLOCK_CRITIC = "import sys\nfor m in ('numpy', 'torch', 'transformers', 'safetensors'):\n    sys.modules[m] = None\n"


@pytest.mark.parametrize("extra", [["--format", "github"], ["--sarif", "v.sarif"], ["--format", "json"]])
def test_validate_outputs_need_no_numpy(tmp_path: Path, extra: list[str]) -> None:
    """The base install has no numpy: validate's report modules must not pull in the analysis."""
    root = build_repo(tmp_path / "repo", "scripted")
    (root / "eval_cases" / "cases.yaml").write_text("cases:\n  - id: x\n    principles: [NOPE-01]\n")
    code = (
        BLOCK_CRITIC + "from constitution_studio.cli import main\n"
        f"sys.exit(main({['validate', '--root', str(root), *extra]!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr and "numpy" not in done.stderr
    if "--sarif" in extra:
        assert json.loads((tmp_path / "v.sarif").read_text())["runs"][0]["results"]
    elif extra[1] == "github":
        assert done.stdout.startswith("::error file=")


def test_report_modules_validate_uses_import_without_numpy() -> None:
    code = BLOCK_CRITIC + (
        "import constitution_studio.core.report.github, constitution_studio.core.report.sarif\n"
        "import constitution_studio.cli.validate_cmd, constitution_studio.cli.ci_options\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_junit_names_every_changed_setting(result: CheckResult) -> None:
    """Issue 10: Markdown, JSON, JUnit and text all name each changed check:/critic: value."""
    import xml.etree.ElementTree as ET

    from constitution_studio.core.diff import SettingChange
    from constitution_studio.core.report.check_junit import check_junit

    changed = [
        SettingChange(key="critic.threshold", base=0.5, head=0.95),
        SettingChange(key="check.max_over_refusal_increase", base=None, head=1.0),
    ]
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    xml = check_junit(result.model_copy(update={"settings_changed": changed}), started=started, seconds=1.0)
    golden("check_settings.junit.xml", xml)
    suite = ET.fromstring(xml)
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {
        "status": result.status,
        "inconclusive": result.inconclusive,
        "setting.critic.threshold": "0.5 -> 0.95",
        "setting.check.max_over_refusal_increase": "unset -> 1.0",
    }
    tests = {tc.get("name"): tc for tc in suite.iter("testcase") if tc.get("classname") == "settings"}
    assert set(tests) == {"critic.threshold", "check.max_over_refusal_increase"}
    assert "0.5 -> 0.95" in (tests["critic.threshold"].findtext("system-out") or "")
    assert suite.get("tests") == str(len(list(suite.iter("testcase"))))
    assert next(iter(suite)).tag == "properties"  # before the testcases, as the JUnit XSD wants
    plain = ET.fromstring(check_junit(result))
    assert not [p for p in plain.iter("property") if str(p.get("name")).startswith("setting.")] and not [
        t for t in plain.iter("testcase") if t.get("classname") == "settings"
    ]


def _hint_with(tmp_path: Path, direct_url: str | None) -> str:
    """install_command() as an install whose dist-info is `tmp_path` (a real dist-info folder on sys.path)."""
    info = tmp_path / "site" / "constitution_studio-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.4\nName: constitution-studio\nVersion: 0.1.0\n")
    (info / "INSTALLER").write_text("pip\n")  # what pip writes into every dist-info it installs
    if direct_url is not None:
        (info / "direct_url.json").write_text(direct_url)
    code = (
        f"import sys; sys.path.insert(0, {str(info.parent)!r})\n"
        "from constitution_studio.cli.ci_options import install_command\nprint(install_command())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_install_hint_for_an_install_by_name_is_the_distribution(tmp_path: Path) -> None:
    """Installed by name (a wheelhouse, an index): no direct_url.json, so the hint is the name,
    never the site-packages folder the module happens to live in."""
    hint = _hint_with(tmp_path, None)
    assert hint.endswith(" -m pip install 'constitution-studio[critic]'"), hint
    assert "site-packages" not in hint and str(tmp_path) not in hint
    # the build metadata of a source checkout (an egg-info, no installer) is not an install by name
    code = "from constitution_studio.cli.ci_options import install_command; print(install_command())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.stdout.strip().endswith(" -m pip install " + shlex.quote(f"{REPO}[critic]")), done.stdout


def test_install_hint_for_a_local_folder_and_a_git_url(tmp_path: Path) -> None:
    folder = _hint_with(tmp_path / "a", json.dumps({"url": "file:///src/policy-tools", "dir_info": {}}))
    assert folder.endswith(" -m pip install '/src/policy-tools[critic]'"), folder
    vcs = json.dumps({"url": "https://github.com/o/r", "vcs_info": {"vcs": "git", "commit_id": "abc123"}})
    git_hint = _hint_with(tmp_path / "b", vcs)
    assert git_hint.endswith("'constitution-studio[critic] @ git+https://github.com/o/r@abc123'"), git_hint
