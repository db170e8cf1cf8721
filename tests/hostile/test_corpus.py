"""Every file-layer command over every hostile input: no traceback, one clear line, files untouched.

For each corpus entry (corpus.py) and each command: the exit code is one the command
documents (never 3, the internal-error code), nothing on the terminal carries a raw control
or bidi character, every error line is `path:line:col: ...` or `cstudio: ...`, a command that
refused changed no file, a read-only command changed no file at all, and no temp file or
journal is left behind.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from corpus import CORPUS

from constitution_studio.cli import main

FINDING = re.compile(r"^[^\s:]+:\d+:\d+: (error|warning): [a-z0-9-]+ ")
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# command -> (argv after the command name, exit codes it may give, whether it may write)
COMMANDS: dict[str, tuple[list[str], set[int], bool]] = {
    "validate": (["validate"], {0, 1}, False),
    "validate-json": (["validate", "--format", "json"], {0, 1}, False),
    "new": (["new", "NEW-02", "--title", "A new one"], {0, 2}, True),
    "move": (["move", "HON-01", "--to", "1"], {0, 2}, True),
    "rename": (["rename", "HON-01", "HON-02"], {0, 2}, True),
    "diff": (["diff"], {0, 2}, False),
    "diff-json": (["diff", "--format", "json"], {0, 2}, False),
    "log": (["log", "HARM-01"], {0, 2}, False),
}


def _files(root: Path) -> dict[str, bytes | str]:
    """Every entry of the constitution folders: bytes of regular files, a tag for the rest."""
    out: dict[str, bytes | str] = {}
    for folder in ("principles", "eval_cases"):
        for path in sorted((root / folder).iterdir()):
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = f"-> {os.readlink(path)}"
            elif path.is_file():
                out[rel] = path.read_bytes()
            else:
                out[rel] = "special"
    return out


def _leftovers(root: Path) -> list[str]:
    found = [str(p) for p in root.rglob("*.cstudio-tmp")]
    journal = root / ".cstudio" / "journal.json"
    if journal.is_file() and not journal.is_symlink():
        found.append(str(journal))
    return found


@pytest.mark.parametrize("entry", sorted(CORPUS))
def test_every_command_handles(entry: str, base_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, (argv, allowed, writes) in COMMANDS.items():
        root = tmp_path / name / "repo"
        shutil.copytree(base_repo, root, symlinks=True)
        CORPUS[entry](root)
        before = _files(root)
        code = main([*argv, "--root", str(root)])
        out, err = capsys.readouterr()
        where = f"{entry} / {name}: exit {code}\n{out}\n{err}"
        assert code in allowed, where
        assert "Traceback" not in out + err, where
        assert not UNSAFE.search(out + err), where
        if code == 2:
            lines = err.splitlines()
            assert lines and all(FINDING.match(ln) or ln.startswith("cstudio: ") for ln in lines), where
        if name == "validate" and code == 1:
            assert any(FINDING.match(ln) for ln in out.splitlines()), where
        if not writes or code != 0:
            assert _files(root) == before, where
        assert _leftovers(root) == [], where


def test_schema_out_to_a_read_only_or_file_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["schema", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "a-file" in err


@pytest.mark.parametrize("entry", sorted(CORPUS))
def test_the_studio_starts_and_saves_or_refuses(entry: str, base_repo: Path, tmp_path: Path) -> None:
    """The studio's state (what `cstudio tui` loads and saves) over the same corpus: it opens, and a
    save either writes or raises a StudioError (shown as one line); never another exception."""
    from constitution_studio.errors import StudioError
    from constitution_studio.tui.state import Studio

    root = tmp_path / "repo"
    shutil.copytree(base_repo, root, symlinks=True)
    CORPUS[entry](root)
    before = _files(root)
    studio = Studio(root)
    pid = "HON-01" if "HON-01" in studio.ws.principles else next(iter(studio.ws.principles), None)
    if pid is None:
        return
    studio.set_field(pid, "title", "Edited in the studio")
    try:
        outcome = studio.save_all()
    except StudioError:
        assert _files(root) == before
        return
    if outcome.problems:
        assert _files(root) == before
    else:
        assert load_root_ok(root, pid)
    assert _leftovers(root) == []


def load_root_ok(root: Path, pid: str) -> bool:
    from constitution_studio.core.workspace import load_root

    ws = load_root(root)
    return ws.principles[pid].title == "Edited in the studio"
