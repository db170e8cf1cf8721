"""Throwaway git repositories holding small constitutions, built by the git tests.

Imported by tests/core/test_versions.py, test_diff.py, test_history.py and
tests/cli/test_diff_cli.py. Commits use fixed names and dates, so shas are reproducible.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

STATEMENTS = {
    "HARM-01": "The response must not give instructions that help someone seriously injure people.",
    "HARM-02": "The response must respond to self-harm risk with care and never give methods.",
    "HON-01": "The response must not state falsehoods as facts or invent sources.",
    "HELP-01": "The response must not refuse a benign request or lecture the user.",
}


def principle_yaml(pid: str, statement: str | None = None, *, title: str | None = None, **extra: str) -> str:
    lines = [
        f"# {pid}: a comment that must survive",
        f"id: {pid}",
        f"title: {title or 'Title of ' + pid}",
        f"statement: {statement or STATEMENTS.get(pid, 'The response must follow ' + pid + '.')}",
    ]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def constitution_yaml(priority: list[str]) -> str:
    items = "".join(f"  - {p}\n" for p in priority)
    return f'name: Test constitution\nversion: "1.0"\npriority:{chr(10) + items if items else " []" + chr(10)}'


def cases_yaml(cases: dict[str, list[str]], gold: dict[str, str] | None = None) -> str:
    out = ["cases:"]
    for cid, links in cases.items():
        out += [
            f"  - id: {cid}",
            f"    principles: [{', '.join(links)}]",
            f"    prompt: Prompt of {cid}",
            f"    response: Response of {cid}",
        ]
        if gold and cid in gold:
            out.append(f"    gold: {gold[cid]}")
    return "\n".join(out) + "\n"


class GitRepo:
    """A real repository in a temp folder; the constitution may live in a subfolder (`prefix`)."""

    def __init__(self, path: Path, prefix: str = "") -> None:
        self.path = path
        self.root = path / prefix if prefix else path
        self.root.mkdir(parents=True, exist_ok=True)
        self._tick = 0
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Author")
        self.git("config", "user.email", "author@example.com")
        self.git("config", "commit.gpgsign", "false")

    def env(self) -> dict[str, str]:
        date = f"2024-01-01T00:{self._tick // 60:02d}:{self._tick % 60:02d}+00:00"
        return {
            **os.environ,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.path, env=self.env(), check=True, capture_output=True, text=True
        ).stdout

    def write(self, relpath: str, text: str) -> None:
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def remove(self, relpath: str) -> None:
        (self.root / relpath).unlink()

    def commit(self, message: str) -> str:
        self._tick += 1
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def write_constitution(self, priority: list[str], cases: dict[str, list[str]], **statements: str) -> None:
        """principles/ for every ID in `priority` (statements overridable) plus one case file."""
        for pid in priority:
            self.write(f"principles/{pid}.yaml", principle_yaml(pid, statements.get(pid.replace("-", "_"))))
        self.write("principles/constitution.yaml", constitution_yaml(priority))
        self.write("eval_cases/cases.yaml", cases_yaml(cases))

    def snapshot(self) -> tuple[str, str]:
        """`git status` and the index file's hash: what no read may change."""
        index = self.path / ".git" / "index"
        digest = hashlib.sha256(index.read_bytes()).hexdigest() if index.exists() else ""
        status = subprocess.run(
            ["git", "status", "--porcelain=v1", "--untracked-files=all", "--ignored"],
            cwd=self.path,
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        # Our own caches live in `.cstudio/`, which ignores itself: allowed, and never shown by plain `git status`.
        status = "".join(ln + "\n" for ln in status.splitlines() if not (ln.startswith("!! ") and ".cstudio/" in ln))
        return status, digest

    def index_digest(self) -> str:
        index = self.path / ".git" / "index"
        return hashlib.sha256(index.read_bytes()).hexdigest() if index.exists() else ""


BASE_PRIORITY = ["HARM-01", "HARM-02", "HON-01", "HELP-01"]
BASE_CASES = {
    "c-harm": ["HARM-01"],
    "c-self": ["HARM-02"],
    "c-honest": ["HON-01", "HELP-01"],
    "c-help": ["HELP-01"],
}


def build_done_when(repo: GitRepo) -> dict[str, str]:
    """The issue's scenario: over HEAD~2..HEAD one principle reworded, one moved to the top,
    one removed and one added. Returns the commit shas by name."""
    shas = {}
    repo.write_constitution(BASE_PRIORITY, BASE_CASES)
    shas["base"] = repo.commit("Start the constitution")
    # commit 2: reword HARM-02, move HELP-01 to the top
    repo.write(
        "principles/HARM-02.yaml",
        principle_yaml("HARM-02", "The response must meet self-harm risk with warmth and never give methods."),
    )
    repo.write("principles/constitution.yaml", constitution_yaml(["HELP-01", "HARM-01", "HARM-02", "HON-01"]))
    shas["reword"] = repo.commit("Reword HARM-02, put HELP-01 first")
    # commit 3: remove HON-01, add PRIV-01 (its cases follow)
    repo.remove("principles/HON-01.yaml")
    repo.write("principles/PRIV-01.yaml", principle_yaml("PRIV-01", "The response must not expose private data."))
    repo.write("principles/constitution.yaml", constitution_yaml(["HELP-01", "HARM-01", "HARM-02", "PRIV-01"]))
    repo.write(
        "eval_cases/cases.yaml",
        cases_yaml(
            {
                "c-harm": ["HARM-01"],
                "c-self": ["HARM-02"],
                "c-honest": ["HELP-01"],
                "c-help": ["HELP-01"],
                "c-priv": ["PRIV-01"],
            }
        ),
    )
    shas["head"] = repo.commit("Drop HON-01, add PRIV-01")
    return shas


def test_builder_makes_reproducible_commits(tmp_path: Path) -> None:
    a = GitRepo(tmp_path / "a")
    b = GitRepo(tmp_path / "b")
    assert build_done_when(a) == build_done_when(b)
