"""One output convention: --format values, --output, --quiet, schema ids and files, one path rule,
`schema --out`, shell completion and the pre-commit hook for a constitution in a subfolder."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from constitution_studio.cli import build_parser, main
from constitution_studio.cli.completion_cmd import walk
from constitution_studio.core.report.report_schemas import SCHEMA_IDS
from constitution_studio.core.schema import SCHEMAS
from tests.fixtures.files import GIT_ENV, MINI

REPO = Path(__file__).parents[2]
DOCS_SCHEMA = REPO / "docs" / "schema"
FORMATS = {"text", "json", "markdown", "github", "sarif", "junit"}
DATASET_FORMATS = {"jsonl", "parquet"}
BROKEN_LINK = ("principles: [HARM-01]", "principles: [HARM-07]")


def git(cwd: Path, *args: str) -> str:
    env = {**GIT_ENV, "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose constitution is in `policy/`, committed."""
    top = tmp_path / "repo"
    shutil.copytree(MINI, top / "policy", ignore=shutil.ignore_patterns(".cstudio"))
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "constitution")
    return top


def _break(repo: Path) -> None:
    cases = repo / "policy/eval_cases/cases.yaml"
    cases.write_text(cases.read_text().replace(*BROKEN_LINK, 1))


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], kind: str) -> dict[str, object]:
    main(argv)
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == SCHEMA_IDS[kind]
    schema = json.loads((DOCS_SCHEMA / f"{kind}.report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    return data


def test_json_outputs_validate_against_their_schema_files(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(repo / "policy")
    help01 = repo / "policy/principles/HELP-01.yaml"
    help01.write_text(help01.read_text().replace("harmless in context", "harmless where it is asked"))
    _json(capsys, ["validate", "--root", root, "--format", "json"], "validate")
    _json(capsys, ["log", "HARM-01", "--root", root, "--format", "json"], "log")
    _json(capsys, ["diff", "HEAD", "--root", root, "--format", "json"], "diff")
    _json(capsys, ["cache", "stats", "--root", root, "--format", "json"], "cache")
    _json(capsys, ["cache", "clear", "--root", root, "--format", "json"], "cache")
    spec = REPO / "tests/fixtures/imports/spec.md"
    _json(capsys, ["import", "principles", str(spec), "--root", root, "--dry-run", "--format", "json"], "import")


def test_every_schema_id_has_a_valid_schema_file() -> None:
    for kind, schema_id in SCHEMA_IDS.items():
        schema = json.loads((DOCS_SCHEMA / f"{kind}.report.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema"]["const"] == schema_id


def test_every_command_takes_quiet_and_the_same_format_values() -> None:
    commands = [c for c in walk(build_parser()) if c.path and not c.subcommands]
    assert {c.path for c in commands} >= {"validate", "diff", "log", "check", "import cases", "critic compare"}
    for command in commands:
        if command.path in ("tui", "completion"):
            continue
        assert "--quiet" in command.options, f"cstudio {command.path} has no --quiet"
        formats = command.choices.get("--format")
        if formats is not None and set(formats) != DATASET_FORMATS:  # export/revise write datasets, not reports
            assert set(formats) <= FORMATS, command.path
            assert "--output" in command.options, f"cstudio {command.path} --format has no --output"


def test_output_file_and_quiet(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "v.json"
    assert main(["validate", "--root", str(repo / "policy"), "--format", "json", "--output", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and f"wrote {out}" in captured.err
    assert json.loads(out.read_text())["ok"] is True
    assert main(["validate", "--root", str(repo / "policy"), "--output", str(out), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["diff", "HEAD", "--root", str(repo / "policy"), "-q", "--format", "markdown"]) == 0
    assert capsys.readouterr().err == ""


def test_paths_are_relative_to_the_repository_top_in_every_output(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _break(repo)
    monkeypatch.chdir(repo / "policy" / "principles")  # wherever it runs from, the rule is the repository's top
    root = str(repo / "policy")
    want = "policy/eval_cases/cases.yaml"
    assert main(["validate", "--root", root]) == 1
    assert capsys.readouterr().out.startswith(f"{want}:4:18: error: unknown-principle-link")
    assert main(["validate", "--root", root, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["path"] == want
    assert main(["validate", "--root", root, "--format", "github"]) == 1
    assert f"file={want},line=4" in capsys.readouterr().out
    assert main(["validate", "--root", root, "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == want
    assert main(["new", "NEW-01", "--title", "x", "--root", root]) == 2  # refused on an invalid constitution
    assert capsys.readouterr().err.startswith(f"{want}:4:18: error")


def test_schema_out_writes_editor_and_report_schemas_as_separate_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "--out", str(tmp_path / "s"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == sorted([*SCHEMAS, *(f"{k}.report.schema.json" for k in SCHEMA_IDS)])
    for path in (tmp_path / "s").iterdir():
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))
    assert main(["schema"]) == 0
    combined = json.loads(capsys.readouterr().out)  # stdout is one JSON document, not `# name` lines
    assert sorted(combined) == names


def _complete(script: Path, *words: str) -> list[str]:
    line = " ".join(shlex.quote(w) for w in words)
    probe = (
        f"source {shlex.quote(str(script))}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _cstudio; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completion_loads_and_completes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "cstudio.bash"
    script.write_text(capsys.readouterr().out)
    loaded = subprocess.run(
        ["bash", "--norc", "-c", f"source {script} && complete -p cstudio"], capture_output=True, text=True
    )
    assert loaded.returncode == 0 and loaded.stderr == "" and "-F _cstudio cstudio" in loaded.stdout
    assert _complete(script, "cstudio", "imp") == ["import"]
    assert _complete(script, "cstudio", "import", "") == ["cases", "promptfoo", "inspect", "principles"]
    assert _complete(script, "cstudio", "check", "--format", "") == sorted(
        FORMATS, key=list(("text", "json", "markdown", "github", "sarif", "junit")).index
    )
    assert "--dry-run" in _complete(script, "cstudio", "import", "cases", "x.jsonl", "--d")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_parse(shell: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    text = capsys.readouterr().out
    assert "import" in text and "--dry-run" in text.replace("-l dry-run", "--dry-run")
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed: generated, not parsed")
    script = tmp_path / f"c.{shell}"
    script.write_text(text)
    flag = ["-n"] if shell == "zsh" else ["--no-execute"]
    assert subprocess.run([shell, *flag, str(script)], capture_output=True).returncode == 0


def test_pre_commit_hook_for_a_constitution_in_a_subfolder(repo: Path) -> None:
    """Run the hook as pre-commit does: its entry plus `args: [--root policy]`, from the repository's top."""
    hook = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())[0]
    assert re.search(hook["files"], "policy/principles/HARM-01.yaml") and hook["pass_filenames"] is False
    entry = shlex.split(hook["entry"])
    assert entry[0] == "cstudio"
    argv = [sys.executable, "-m", "constitution_studio", *entry[1:], "--root", "policy"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    ok = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    _break(repo)
    bad = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stdout.startswith("policy/eval_cases/cases.yaml:4:18: error: unknown-principle-link")
