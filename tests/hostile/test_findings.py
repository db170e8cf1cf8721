"""Findings that point at the root cause (defects 8-11) and errors that never become tracebacks (12-16)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from fixtures.files import GIT_ENV, MINI

from constitution_studio.cli import main
from constitution_studio.core.critic.cache import ScoreCache
from constitution_studio.core.statedir import ensure_state_dir
from constitution_studio.core.workspace import load_root
from constitution_studio.errors import ExitCode

HARM = "principles/HARM-01.yaml"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    ).stdout


def first(root: Path) -> str:
    return load_root(root).findings[0].format()


# --- 8: the line where the construct starts --------------------------------------------------


def test_unclosed_quote_is_reported_where_it_opens(mini: Path) -> None:
    edit(mini, HARM, "title: No serious physical harm", 'title: "No serious physical harm')
    assert first(mini).startswith(f"{HARM}:3:8: error: yaml-syntax") and "never closed" in first(mini)


def test_unclosed_bracket_is_reported_where_it_opens(mini: Path) -> None:
    edit(mini, HARM, "tags: [harm]", "tags: [harm")
    assert first(mini).startswith(f"{HARM}:11:7: error: yaml-syntax")


def test_merge_conflict_markers_are_named(mini: Path) -> None:
    edit(mini, HARM, "status: active\n", "<<<<<<< HEAD\nstatus: active\n=======\nstatus: draft\n>>>>>>> x\n")
    assert first(mini).startswith(f"{HARM}:9:1: error: yaml-syntax merge conflict markers")


def test_a_control_character_is_reported_where_it_is(mini: Path) -> None:
    edit(mini, HARM, "No serious", "No\x01serious")
    assert first(mini).startswith(f"{HARM}:3:10: error: yaml-syntax control character U+0001")


# --- 9: one typo, one root cause, listed first ------------------------------------------------


@pytest.mark.parametrize("breakage", [("title:", "titel:"), ("statement: >-", "statement: [>-")])
def test_one_typo_gives_its_own_findings_only(mini: Path, breakage: tuple[str, str]) -> None:
    edit(mini, HARM, *breakage)
    ws = load_root(mini)
    assert all(f.path == HARM for f in ws.errors), [f.format() for f in ws.findings]
    assert len(ws.errors) <= 2
    assert not any("there is no" in f.message for f in ws.findings)
    assert ws.findings[0].path == HARM


# --- 10: duplicate keys are errors naming both lines ------------------------------------------


def test_duplicate_keys_name_both_lines(mini: Path) -> None:
    edit(mini, HARM, "status: active\n", "status: active\nstatus: draft\n")
    finding = first(mini)
    assert "duplicate-key" in finding and "line 9" in finding and "line 10" in finding


def test_duplicate_keys_in_a_case_are_errors(mini: Path) -> None:
    edit(mini, "eval_cases/cases.yaml", "    gold: violates\n", "    gold: violates\n    gold: complies\n")
    assert any(f.code == "duplicate-key" for f in load_root(mini).errors)


# --- 11: empty files ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_an_empty_constitution_fails(mini: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    (mini / "principles/constitution.yaml").write_text(text)
    assert main(["validate", "--root", str(mini)]) == 1
    assert "principles/constitution.yaml:1:1: error: empty-file" in capsys.readouterr().out


def test_an_empty_principle_file_is_named(mini: Path) -> None:
    (mini / HARM).write_text("")
    ws = load_root(mini)
    assert ws.findings[0].format().startswith(f"{HARM}:1:1: error: empty-file")
    assert not any("there is no" in f.message for f in ws.findings)


# --- 12 / 16: machine errors are one line and exit 2; bugs exit 3 ------------------------------


def test_an_os_error_is_one_line_naming_the_file(
    mini: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import constitution_studio.cli.validate_cmd as cmd

    def broken(root: Path) -> None:
        raise OSError(28, "No space left on device", str(root / "principles/x.yaml"))

    monkeypatch.setattr(cmd, "load_root", broken)
    assert main(["validate", "--root", str(mini)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x.yaml" in err and "no space left" in err


def test_an_internal_error_exits_3_with_a_traceback_only_under_debug(
    mini: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import constitution_studio.cli.validate_cmd as cmd

    def bug(root: Path) -> None:
        raise ValueError("oops")

    monkeypatch.setattr(cmd, "load_root", bug)
    assert main(["validate", "--root", str(mini)]) == ExitCode.INTERNAL == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error, please report" in err and "Traceback" not in err
    assert main(["--debug", "validate", "--root", str(mini)]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_an_id_too_long_for_a_file_name_is_refused(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "A" * 300 + "-01", "--title", "x", "--root", str(mini)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("kind", ["garbage", "truncated", "file-state", "symlink"])
def test_a_broken_or_untrusted_score_cache_is_not_fatal(mini: Path, tmp_path: Path, kind: str) -> None:
    state = mini / ".cstudio"
    if kind == "file-state":
        state.write_text("x")
    else:
        ensure_state_dir(mini)  # the tool's own folder: a broken cache in it is moved aside
        if kind == "garbage":
            (state / "critic.sqlite").write_bytes(b"not a database" * 100)
        elif kind == "truncated":
            good = ScoreCache(tmp_path / "good.sqlite")
            good.close()
            (state / "critic.sqlite").write_bytes((tmp_path / "good.sqlite").read_bytes()[:1000])
        else:
            (state / "critic.sqlite").symlink_to(tmp_path / "elsewhere.sqlite")
    cache = ScoreCache.for_root(mini)
    assert cache.note is not None
    assert cache.clear() == 0
    assert cache.get_many(["k"]) == {}
    if kind == "symlink":
        assert not (tmp_path / "elsewhere.sqlite").exists()


def test_a_locked_score_cache_is_skipped(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import constitution_studio.core.critic.cache as cache_mod

    monkeypatch.setattr(cache_mod, "CACHE_LOCK_TIMEOUT_S", 0.1)
    ScoreCache.for_root(mini).close()
    holder = sqlite3.connect(str(mini / ".cstudio/critic.sqlite"))
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        cache = ScoreCache.for_root(mini)
        assert cache.note is not None and "locked" in cache.note
    finally:
        holder.close()


def test_a_tracked_cstudio_is_not_trusted(mini: Path) -> None:
    from constitution_studio.core.statedir import state_dir_problem

    git(mini, "init", "-q")
    (mini / ".cstudio").mkdir()
    (mini / ".cstudio/critic.sqlite").write_bytes(b"")
    git(mini, "add", "-f", ".cstudio/critic.sqlite")
    assert state_dir_problem(mini) is not None and "tracked" in str(state_dir_problem(mini))
    assert ScoreCache.for_root(mini).note is not None


# --- 15: log, titles, extensions ------------------------------------------------------------


def test_log_shows_a_commit_whose_message_holds_control_bytes(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(mini, "init", "-q")
    git(mini, "add", "-A")
    git(mini, "commit", "-q", "-m", "base")
    edit(mini, HARM, "No serious physical harm", "No harm")
    git(mini, "commit", "-q", "-am", "retitle \x01 with \x1b[2K escape")
    assert main(["log", "HARM-01", "--root", str(mini)]) == 0
    out = capsys.readouterr().out
    assert "retitle \\x01 with \\x1b[2K escape" in out and "\x1b" not in out
    assert out.count("\n    ") == 2  # both commits


def test_log_on_a_shallow_clone_says_where_history_starts(
    mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(mini, "init", "-q")
    git(mini, "add", "-A")
    git(mini, "commit", "-q", "-m", "base")
    edit(mini, "eval_cases/cases.yaml", "id: harm-001", "id: harm-001b")
    git(mini, "commit", "-q", "-am", "second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{mini}", str(clone))
    assert main(["log", "HARM-01", "--root", str(clone)]) == 0
    out = capsys.readouterr().out
    assert "history starts here: shallow clone" in out and "added" not in out


def test_log_limit_must_be_positive(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "HARM-01", "-n", "0", "--root", str(mini)]) == 2
    assert "at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("title", ["a\rb", "a\u2028b", "a\x85b", "a\x1b[2Kb", "a\u202eb", "a\nb", "  "])
def test_new_refuses_a_title_that_is_not_one_plain_line(
    mini: Path, capsys: pytest.CaptureFixture[str], title: str
) -> None:
    assert main(["new", "NEW-01", "--title", title, "--root", str(mini)]) == 2
    assert not (mini / "principles/NEW-01.yaml").exists()
    assert capsys.readouterr().err.count("\n") == 1


def test_yml_principles_rename_like_yaml_ones(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.replace(mini / "principles/HON-01.yaml", mini / "principles/HON-01.yml")
    assert main(["rename", "HON-01", "HON-02", "--root", str(mini)]) == 0
    assert (mini / "principles/HON-02.yml").is_file() and not (mini / "principles/HON-01.yml").exists()
    assert load_root(mini).errors == []


def test_upper_case_yaml_is_reported_not_silently_ignored(mini: Path) -> None:
    (mini / "principles/NEW-01.YAML").write_text("id: NEW-01\n")
    assert any(f.code == "ignored-file" and f.path.endswith("NEW-01.YAML") for f in load_root(mini).findings)


# --- 14: terminal injection ----------------------------------------------------------------


def test_escapes_in_wording_never_reach_the_terminal(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(mini, "init", "-q")
    git(mini, "add", "-A")
    git(mini, "commit", "-q", "-m", "base")
    (mini / HARM).write_text(
        "id: HARM-01\n"
        'title: "No \\e[2K\\e[1Aharm"\n'
        'statement: "The response \\e[2K\\e[1A\\e[31mmust\\u202e not help cause serious harm."\n'
        "status: active\n"
    )
    # a title is one line of plain text: escapes in it are refused at its line (issue 18)
    (title,) = load_root(mini).errors
    assert (title.code, title.line) == ("single-line", 2) and "\\x1b" in title.message
    text = (mini / HARM).read_text().replace('"No \\e[2K\\e[1Aharm"', "No harm")
    (mini / HARM).write_text(text)
    assert load_root(mini).errors == []  # multi-line wording may hold anything; it is shown escaped
    for argv in (["diff"], ["diff", "--color", "always"], ["diff", "--format", "json"], ["validate"]):
        assert main([*argv, "--root", str(mini)]) in (0, 1)
        out, err = capsys.readouterr()
        assert "\x1b[2K" not in out + err and "\u202e" not in out + err, argv
        if "always" not in argv:  # colour output has its own SGR codes; none come from the file
            assert "\x1b" not in out + err, argv
    main(["diff", "--root", str(mini)])
    assert "\\x1b[2K" in capsys.readouterr().out  # shown, escaped
