"""kill -9 during `move`, `rename`, a studio save and `review --apply`: old or new state, never a mix.

A child process runs the edit with the file layer's write primitives (os.write, os.fsync,
os.replace, os.unlink) counting calls and sending itself SIGKILL at call K. An uninterrupted
run counts the calls (N); the test then kills at four K spread over 1..N, so every phase of
the commit (journal, temp files, renames, deletes, journal removal) is hit while the test
stays within a few seconds. After each kill, recovery (every command starts with it) must
leave the constitution valid and byte-identical to the old or the new version, with no
temp file or journal left behind for `git status` to show.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from constitution_studio.core.storage.journal import recover
from constitution_studio.core.workspace import load_root

MINI = Path(__file__).parents[1] / "fixtures" / "mini"

CHILD = r"""
import os, signal, sys
from pathlib import Path
kill_at = int(sys.argv[1])
calls = [0]
def counting(fn):
    def wrapper(*a, **k):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return fn(*a, **k)
    return wrapper
for name in ("write", "fsync", "replace", "unlink"):
    setattr(os, name, counting(getattr(os, name)))
root = Path(sys.argv[2])
import atexit
atexit.register(lambda: sys.stdout.write(f"calls={calls[0]}\n"))
if sys.argv[3] == "studio":
    from constitution_studio.tui.state import Studio
    studio = Studio(root)
    studio.set_field("HARM-01", "id", "HARM-09")
    studio.set_field("HARM-01", "title", "Renamed in the studio")
    studio.move("HON-01", -1)
    studio.save_all()
elif sys.argv[3] == "apply":
    from constitution_studio.cli import main
    code = main(["review", "--root", str(root), "--apply", sys.argv[4], "--replace", "--reviewer", "Ada"])
    assert code == 0, code
elif sys.argv[3] == "rename":
    from constitution_studio.core.authoring import rename_principle
    rename_principle(root, sys.argv[4], sys.argv[5])
else:
    from constitution_studio.core.authoring import move_principle
    move_principle(root, sys.argv[4], int(sys.argv[5]))
"""


def _state(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for folder in ("principles", "eval_cases")
        for p in sorted((root / folder).iterdir())
    }


def _untracked(root: Path) -> list[str]:
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if "cstudio" in line or "journal" in line]


MORE_CASES = "cases:\n  - id: more-001\n    principles: [HON-01]\n    prompt: q\n    a: x\n    b: y\n"
VERDICTS = '{"case": "harm-001", "verdict": "complies"}\n{"case": "more-001", "verdict": "b"}\n'


def _repo(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns(".cstudio"))
    (root / "eval_cases" / "more.yaml").write_text(MORE_CASES)  # a second case file: a batch spans two
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    return root


@pytest.mark.parametrize(
    "command",
    [["rename", "HARM-01", "HARM-09"], ["move", "HON-01", "1"], ["studio"], ["apply"]],
    ids=["rename", "move", "studio-save", "review-apply"],
)
def test_kill_during_the_write(tmp_path: Path, command: list[str]) -> None:
    if command == ["apply"]:  # two verdicts, two files (one replaces gold): one transaction
        verdicts = tmp_path / "verdicts.jsonl"
        verdicts.write_text(VERDICTS)
        command = ["apply", str(verdicts)]
    # A first run in a fresh test session also creates the per-user state key (more writes than
    # any later run): an uninterrupted warm-up run first, so the count below is every run's.
    subprocess.run(
        [sys.executable, "-c", CHILD, "0", str(_repo(tmp_path, "warm")), *command], check=True, capture_output=True
    )
    done = _repo(tmp_path, "done")  # the new state, from an uninterrupted run
    run = subprocess.run([sys.executable, "-c", CHILD, "0", str(done), *command], check=True, capture_output=True)
    new = _state(done)
    total = int(run.stdout.decode().strip().rsplit("calls=", 1)[1])
    assert total > 3
    points = sorted({1 + (total - 1) * i // 3 for i in range(4)})
    outcomes = set()
    for kill_at in points:
        root = _repo(tmp_path, f"k{kill_at}")
        old = _state(root)
        proc = subprocess.run([sys.executable, "-c", CHILD, str(kill_at), str(root), *command], capture_output=True)
        assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
        recover(root)
        state = _state(root)
        where = f"killed at write call {kill_at} of {total}"
        assert state in (old, new), where
        assert load_root(root).errors == [], where
        assert _untracked(root) == [], where
        outcomes.add("old" if state == old else "new")
    assert outcomes == {"old", "new"}  # the kills did land before and after the commit point
