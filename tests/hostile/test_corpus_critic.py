"""The critic commands over the hostile corpus: `eval`, `shift`, `check`, `calibrate --dry-run`.

The same promises as test_corpus.py (an exit code the command documents, never 3; no
traceback; no raw control or bidi character on the terminal; one-line errors; files
untouched), with the tiny real model as the critic (`--critic-model`), so a constitution the
corpus leaves valid is really scored. The commands share one copy of the repository per
entry: none of them writes a constitution file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corpus import CORPUS
from test_corpus import FINDING, UNSAFE, _files, _leftovers

from constitution_studio.cli import main

COMMANDS: dict[str, tuple[list[str], set[int]]] = {
    "eval": (["eval"], {0, 2}),
    "eval-json": (["eval", "--format", "json"], {0, 2}),
    "shift": (["shift", "HEAD", "WORKTREE"], {0, 2}),
    "check": (["check", "--base", "HEAD"], {0, 1, 2}),
    "calibrate": (["calibrate", "--dry-run"], {0, 2}),
}


@pytest.mark.parametrize("entry", sorted(CORPUS))
def test_critic_commands_handle(
    entry: str, base_repo: Path, tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(base_repo, root, symlinks=True)
    CORPUS[entry](root)
    before = _files(root)
    for name, (argv, allowed) in COMMANDS.items():
        code = main([*argv, "--root", str(root), "--critic-model", str(tiny_model_dir)])
        out, err = capsys.readouterr()
        where = f"{entry} / {name}: exit {code}\n{out}\n{err}"
        assert code in allowed, where
        assert "Traceback" not in out + err, where
        assert not UNSAFE.search(out + err), where
        if code == 2:
            lines = [ln for ln in err.splitlines() if not ln.startswith("cstudio: warning: ")]
            assert lines and all(FINDING.match(ln) or ln.startswith("cstudio: ") for ln in lines), where
        assert _files(root) == before, where
        assert _leftovers(root) == [], where


# (esc-in-title is no longer valid: a title is one line of plain text, refused at its line)
@pytest.mark.parametrize("entry", ["bidi-in-statement", "corrupt-score-cache", "crlf-bom"])
def test_valid_hostile_constitutions_are_really_scored(
    entry: str, base_repo: Path, tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """These entries leave a valid constitution: eval scores it and prints text safely."""
    root = tmp_path / "repo"
    shutil.copytree(base_repo, root, symlinks=True)
    CORPUS[entry](root)
    assert main(["eval", "--root", str(root), "--critic-model", str(tiny_model_dir)]) == 0
    out, err = capsys.readouterr()
    assert "case verdicts" in out and not UNSAFE.search(out + err)
