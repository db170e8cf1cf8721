"""Nothing written outside the root, ever (issue 18, item 5): report paths and `schema --out`
replace or refuse planted symlinks and never write through them, a report path that is a folder
fails before scoring with no `*.tmp` left behind, the action's fallback write and reads never
follow a link the pull request planted, and `review --apply` refuses a note no YAML can hold."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.files import MINI, snapshot
from fixtures.shift_support import build_repo, reword_move_add

from constitution_studio.cli import main
from constitution_studio.core.storage.report_files import check_report_path, write_report_file
from constitution_studio.errors import BadInputError

ACTION = Path(__file__).resolve().parents[2] / "scripts" / "ci" / "action.py"
SECRET = "do not touch\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the working folder, with a file a planted link points at."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "target").write_text(SECRET)
    return folder


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder (a checkout in CI): where the planted links live."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def _untouched(outside: Path) -> None:
    assert sorted(p.name for p in outside.iterdir()) == ["target"]
    assert (outside / "target").read_text() == SECRET


def _no_tmp(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --- schema --out --------------------------------------------------------------------------


def test_schema_out_replaces_planted_links_and_never_writes_through_them(work: Path, outside: Path) -> None:
    out = work / "schema"
    out.mkdir()
    (out / "principle.schema.json").symlink_to(outside / "target")
    (out / "check.report.schema.json.tmp").symlink_to(outside / "target")  # the old writer's temp name
    assert main(["schema", "--out", str(out), "--quiet"]) == 0
    _untouched(outside)
    principle = out / "principle.schema.json"
    assert not principle.is_symlink() and json.loads(principle.read_text())["title"]
    _no_tmp(out / "principle.schema.json")


def test_schema_out_into_a_symlinked_folder_is_refused(
    work: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "schema").symlink_to(outside)
    assert main(["schema", "--out", "schema"]) == 2
    assert "symlink" in capsys.readouterr().err
    _untouched(outside)
    (work / "docs").symlink_to(outside)
    assert main(["schema", "--out", "docs/schema"]) == 2  # a link above the folder counts too
    _untouched(outside)


# --- report paths --------------------------------------------------------------------------


def test_a_report_replaces_a_planted_link_and_ignores_a_planted_tmp(work: Path, outside: Path) -> None:
    (work / "check.json").symlink_to(outside / "target")
    (work / "check.json.tmp").symlink_to(outside / "target")
    write_report_file(Path("check.json"), "{}\n")
    _untouched(outside)
    assert not (work / "check.json").is_symlink() and (work / "check.json").read_text() == "{}\n"
    assert (work / "check.json.tmp").is_symlink()  # left alone: never opened, never written
    with pytest.raises(BadInputError, match="symlink"):
        (work / "reports").symlink_to(outside)
        write_report_file(Path("reports/check.json"), "{}\n")
    _untouched(outside)


def test_a_report_that_utf8_cannot_hold_fails_before_the_disk_is_touched(work: Path) -> None:
    with pytest.raises(BadInputError, match="UTF-8"):
        write_report_file(Path("r.md"), "lone \ud800")
    assert list(work.iterdir()) == []


def test_a_report_path_that_is_a_folder_fails_before_scoring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build_repo(tmp_path / "repo", "no-such-model-folder/x/y", head_edit=reword_move_add)
    monkeypatch.chdir(root)
    (root / "reports" / "check.json").mkdir(parents=True)
    code = main(["check", "--base", "main", "--json", "reports/check.json", "--markdown", "reports/check.md"])
    err = capsys.readouterr().err
    assert code == 2 and "reports/check.json: it is a folder" in err
    assert "not found" not in err  # refused before the critic was even looked for
    assert not (root / "reports" / "check.md").exists()
    _no_tmp(root)
    with pytest.raises(BadInputError, match="is a folder"):
        check_report_path(root / "reports" / "check.json")


# --- the action's own reads and writes ---------------------------------------------------


def _runner_env(tmp_path: Path, report_dir: str) -> dict[str, str]:
    fake = tmp_path / "fake_cstudio.py"
    fake.write_text("import sys\nsys.exit(2)\n")  # stops before writing any report
    for name in ("summary.md", "output.txt"):
        (tmp_path / name).write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update(
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_BASE_REF="main",
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        GITHUB_OUTPUT=str(tmp_path / "output.txt"),
        CSTUDIO=f"{sys.executable} {fake}",
        INPUT_REPORT_DIR=report_dir,
    )
    return env


def test_the_actions_fallback_write_never_follows_a_planted_link(work: Path, outside: Path, tmp_path: Path) -> None:
    (work / "cstudio-report").mkdir()
    (work / "cstudio-report" / "check.md").symlink_to(outside / "target")
    env = _runner_env(tmp_path, "cstudio-report")
    done = subprocess.run([sys.executable, str(ACTION), "run-check"], env=env, cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    _untouched(outside)
    assert SECRET.strip() not in (tmp_path / "summary.md").read_text()  # the link was never read either
    report = work / "cstudio-report" / "check.md"
    assert not report.is_symlink() and "could not run (exit 2)" in report.read_text()
    _no_tmp(work)


def test_a_report_dir_that_is_a_symlink_gets_nothing(work: Path, outside: Path, tmp_path: Path) -> None:
    (work / "cstudio-report").symlink_to(outside)
    env = _runner_env(tmp_path, "cstudio-report")
    done = subprocess.run([sys.executable, str(ACTION), "run-check"], env=env, cwd=work, capture_output=True, text=True)
    assert done.returncode == 0 and "is a symlink" in done.stdout
    assert "exit-code=2" in (tmp_path / "output.txt").read_text()
    _untouched(outside)


def test_the_comment_never_posts_a_planted_link(work: Path, outside: Path, tmp_path: Path) -> None:
    (work / "cstudio-report").mkdir()
    (work / "cstudio-report" / "check.md").symlink_to(outside / "target")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    env = _runner_env(tmp_path, "cstudio-report")
    env.update(GITHUB_EVENT_PATH=str(event), GITHUB_REPOSITORY="acme/policy", GITHUB_API_URL="http://127.0.0.1:9")
    done = subprocess.run([sys.executable, str(ACTION), "comment"], env=env, cwd=work, capture_output=True, text=True)
    assert done.returncode == 0 and SECRET.strip() not in done.stdout
    assert "could not post" in done.stdout and "not a plain file" in done.stdout  # refused before any request


# --- review --apply --------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_note_is_refused_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))
    before = snapshot(root)
    verdicts = tmp_path / "verdicts.jsonl"
    verdicts.write_text(
        '{"case": "help-001", "verdict": "complies", "reviewer": "Ada"}\n'
        '{"case": "harm-001", "verdict": "violates", "reviewer": "Ada", "note": "bad \\ud800 note"}\n'
    )
    code = main(["review", "--apply", str(verdicts), "--root", str(root), "--replace"])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"{verdicts}:2: error:" in err and "lone surrogate" in err
    assert out == ""  # no "set gold" line: nothing was written
    assert snapshot(root) == before
