"""`cstudio` or `cstudio tui` without a terminal (CI, a pipe): a hint and the commands, exit 2, no escape codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]


def test_bare_cstudio_in_a_pipe_prints_hint_and_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "constitution_studio"],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    first, *commands = proc.stderr.splitlines()
    assert first.startswith("cstudio: the studio needs a terminal")
    assert "\x1b" not in proc.stderr
    names = [line.split()[0] for line in commands]
    assert {"validate", "diff", "shift", "check", "tui"} <= set(names)


def test_root_without_command_in_a_pipe_also_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "constitution_studio", "--root", str(REPO)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "needs a terminal" in proc.stderr


def test_tui_command_in_a_pipe_exits_2_instead_of_hanging(tmp_path: Path) -> None:
    for args in (["tui"], ["tui", "--root", str(REPO)]):
        proc = subprocess.run(
            [sys.executable, "-m", "constitution_studio", *args],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, args
        assert proc.stdout == ""  # no ESC[?1049h: the alternate screen was never entered
        assert proc.stderr.startswith("cstudio: the studio needs a terminal")
        assert "\x1b" not in proc.stderr
