"""End to end in a real terminal (tmux): edit a principle, open the impact view, record a verdict in the
review queue, and check the case file's git diff (only the gold line changes, comments kept).

Skipped when tmux is missing. The studio runs as `python -m constitution_studio tui` on a throwaway
git repo whose critic is the tiny random-weight model.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tui_mini"
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def git(root: Path, *args: str) -> str:
    cfg = ["-c", "user.name=Test", "-c", "user.email=t@example.com"]
    return subprocess.run(["git", *cfg, *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, tiny_model_dir: Path) -> Path:
    root = tmp_path / "c"
    shutil.copytree(FIXTURE, root)
    constitution = root / "principles" / "constitution.yaml"
    text = constitution.read_text().replace(
        "  model: builtin:smollm2-135m\n", f'  model: "{tiny_model_dir}"\n  device: cpu\n  dtype: float32\n'
    )
    constitution.write_text(text)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


class Tmux:
    """A tmux server of the test's own (socket `-L name`): a server someone already runs would
    start the studio with *its* environment (another git identity, another TERM)."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env

    def run(self, *args: str) -> str:
        command = ["tmux", "-L", self.name, *args]
        out = subprocess.run(command, capture_output=True, text=True, env=self.env, check=True)
        return out.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def text(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def wait_for(self, needle: str, timeout: float = 90.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.text()
            if needle in screen:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{needle!r} not on screen:\n{self.text()}")


@pytest.fixture
def tmux(repo: Path, tmp_path: Path) -> Iterator[Tmux]:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = E2E Reviewer\n\temail = e2e@example.com\n")
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_CONFIG_NOSYSTEM": "1",
        "TERM": "xterm-256color",
        "TMUX": "",
    }
    name = f"cstudio-e2e-{uuid.uuid4().hex[:8]}"
    session = Tmux(name, env)
    command = f"{sys.executable} -m constitution_studio tui --root {repo}"
    session.run("new-session", "-d", "-s", name, "-x", "120", "-y", "40", command)
    try:
        yield session
    finally:
        subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True, env=env, check=False)


def test_edit_impact_review_git_diff(repo: Path, tmux: Tmux) -> None:
    tmux.wait_for("HARM-01")
    tmux.keys("F3", "End")
    tmux.run("send-keys", "-t", tmux.name, "-l", " Even in fiction.")
    time.sleep(0.5)
    tmux.keys("F8")
    tmux.wait_for("Impact of the unsaved edits")
    tmux.keys("r")
    screen = tmux.wait_for("2 cases can move")
    deadline = time.monotonic() + 90
    while "not scored yet" in screen and time.monotonic() < deadline:
        time.sleep(0.5)
        screen = tmux.text()
    assert "mini-001" in screen and "mini-002" in screen
    # Run all may still be scoring its later groups (engagement, judge variants): Escape cancels that
    # first, then leaves the view; F9 only once the main screen is back (on a loaded machine the keys
    # otherwise land while the view is still up)
    deadline = time.monotonic() + 60
    while "Impact of the unsaved edits" in tmux.text() and time.monotonic() < deadline:
        tmux.keys("Escape")
        time.sleep(1.0)
    tmux.keys("F9")
    tmux.wait_for("E2E Reviewer")  # the review screen's title names the reviewer, in its long and compact forms
    tmux.keys("r")
    screen = tmux.wait_for("Case 1 of")
    deadline = time.monotonic() + 120
    while ("not scored yet" in screen or "reading the rest" in screen) and time.monotonic() < deadline:
        time.sleep(0.5)
        screen = tmux.text()
    record = next(line for line in screen.splitlines() if "record:" in line)  # the case's own keys
    gold = next(line for line in screen.splitlines() if "gold now:" in line)
    if "v violates" in record:  # a verdict other than the gold there, so it is written
        key = "v" if gold.rstrip().endswith("complies") else "c"
    else:
        key = "b" if "A preferred" in gold else "a"
    tmux.keys(key)
    time.sleep(1.0)
    if "Replace the gold label?" in tmux.text():  # the verdict replaces gold: it asks first, old → new
        # one capture holding both (a capture taken mid-redraw can hold half the dialog)
        deadline = time.monotonic() + 10
        screen = tmux.text()
        while not ("Replace the gold label?" in screen and " → " in screen) and time.monotonic() < deadline:
            time.sleep(0.3)
            screen = tmux.text()
        assert "Replace the gold label?" in screen and " → " in screen, screen
        tmux.keys("Enter")  # the first button: Replace
    deadline = time.monotonic() + 60
    while not git(repo, "status", "--porcelain").strip() and time.monotonic() < deadline:
        time.sleep(0.3)
    status = git(repo, "status", "--porcelain")
    assert status.strip(), tmux.text()
    assert status.strip() == "M eval_cases/cases.yaml"  # the principle edit stays unsaved
    diff = git(repo, "diff", "-U0", "--", "eval_cases/cases.yaml")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    added = [line for line in changed if line.startswith("+")]
    removed = [line for line in changed if line.startswith("-")]
    assert len(added) == 1 and added[0].lstrip("+").strip().startswith("gold: ")
    assert "# reviewed by E2E Reviewer, " in added[0]
    assert len(removed) <= 1 and all(line.lstrip("-").strip().startswith("gold: ") for line in removed)
    text = (repo / "eval_cases" / "cases.yaml").read_text()
    assert text.startswith("# Cases for the mini constitution.\n")  # comments kept
