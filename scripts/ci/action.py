#!/usr/bin/env python3
"""The logic of the GitHub Action (action.yml), kept out of YAML so it can be tested.

    action.py run-check   run `cstudio check` with every report, write the step summary and
                          the step outputs; always exits 0 (the action's last step exits
                          with the check's code, after the comment, artifacts and cache save)
    action.py comment     create or update the one PR comment that starts with the marker;
                          a failed post (fork PR, read-only token, API down) is a warning,
                          never a failure

Inputs come from the environment as the action passes them (INPUT_*), plus the runner's
GITHUB_* variables. Standard library only: it runs before and without the package.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

MARKER = "<!-- cstudio-check -->"
DEFAULT_AUTHOR = "github-actions[bot]"  # who the default workflow token posts as
TIMEOUT_S = 20


def _input(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name.upper().replace('-', '_')}", default).strip()


def _append(var: str, text: str) -> None:
    """Append to the file a GITHUB_* variable names (step summary, outputs); nothing when unset."""
    path = os.environ.get(var)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def _output(name: str, value: str) -> None:
    _append("GITHUB_OUTPUT", f"{name}={value}\n")


def _log(level: str, message: str) -> None:
    sys.stdout.write(f"::{level}::{message.replace('%', '%25').replace(chr(10), '%0A')}\n")
    sys.stdout.flush()


# --- run-check ---------------------------------------------------------------------------


def base_ref() -> str:
    base = _input("base")
    if base:
        return base
    if os.environ.get("GITHUB_BASE_REF"):
        return f"origin/{os.environ['GITHUB_BASE_REF']}"
    raise SystemExit("cstudio action: set the `base` input (no pull request base branch to default to)")


def check_command(report_dir: Path) -> list[str]:
    """The `cstudio check` command line the inputs ask for."""
    cstudio = shlex.split(os.environ.get("CSTUDIO", "cstudio"))
    cmd = [*cstudio, "check", "--base", base_ref(), "--head", _input("head", "HEAD") or "HEAD"]
    cmd += ["--root", _input("root", ".") or "."]
    cmd += ["--markdown", str(report_dir / "check.md"), "--markdown-full", str(report_dir / "check.full.md")]
    cmd += ["--json", str(report_dir / "check.json"), "--junit", str(report_dir / "check.xml")]
    cmd += ["--sarif", str(report_dir / "check.sarif"), "--format", "github"]
    budget = _input("comment-budget")
    if budget:
        cmd += ["--markdown-budget", budget]
    for name, flag in (
        ("critic-model", "--critic-model"),
        ("max-over-refusal-increase", "--max-over-refusal-increase"),
        ("max-stable-flips", "--max-stable-flips"),
        ("min-kappa", "--min-kappa"),
    ):
        value = _input(name)
        if value:
            cmd += [flag, value]
    cmd += shlex.split(_input("args"))
    return cmd


def run_check() -> int:
    report_dir = Path(_input("report-dir", "cstudio-report") or "cstudio-report")
    report_dir.mkdir(parents=True, exist_ok=True)
    try:
        cmd = check_command(report_dir)
    except SystemExit as exc:
        _log("error", str(exc))
        code = 2
    else:
        sys.stderr.write("+ " + shlex.join(cmd) + "\n")
        sys.stderr.flush()
        try:
            code = subprocess.run(cmd, check=False).returncode
        except OSError as exc:
            _log("error", f"cannot run cstudio: {exc}")
            code = 2
    markdown = report_dir / "check.md"
    if markdown.is_file():
        _append("GITHUB_STEP_SUMMARY", markdown.read_text(encoding="utf-8"))
    else:
        _append(
            "GITHUB_STEP_SUMMARY",
            f"{MARKER}\n## Constitution check could not run (exit {code})\n\n"
            "`cstudio check` stopped before writing its report; the job log has the one-line reason.\n",
        )
        markdown.write_text(
            f"{MARKER}\n## Constitution check could not run (exit {code})\n\nSee the job log for the reason.\n",
            encoding="utf-8",
        )
    _output("exit-code", str(code))
    _output("passed", "true" if code == 0 else "false")
    _output("report-dir", str(report_dir))
    return 0


# --- comment -----------------------------------------------------------------------------


def pr_number() -> int | None:
    explicit = _input("pr-number")
    if explicit:
        return int(explicit)
    event_path = os.environ.get("GITHUB_EVENT_PATH")
    if not event_path or not Path(event_path).is_file():
        return None
    event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    pr = event.get("pull_request") or {}
    number = pr.get("number") or (event.get("issue") or {}).get("number")
    return int(number) if number else None


class GitHub:
    """The few REST calls the comment needs."""

    def __init__(self, api: str, token: str, repo: str) -> None:
        self.api = api.rstrip("/")
        self.token = token
        self.repo = repo

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.api}{path}", data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            text = resp.read().decode("utf-8")
        return json.loads(text) if text else None

    def login(self) -> str:
        """Who the token authenticates as: the `comment-author` input, else GET /user (a personal
        token), else the workflow token's github-actions[bot] (GET /user refuses that token)."""
        explicit = _input("comment-author")
        if explicit:
            return explicit
        try:
            user = self.call("GET", "/user") or {}
        except (OSError, ValueError, urllib.error.URLError):
            user = {}
        return str(user.get("login") or DEFAULT_AUTHOR) if isinstance(user, dict) else DEFAULT_AUTHOR

    def find_comment(self, number: int, author: str) -> int | None:
        """The id of our earlier comment: it starts with the marker and `author` wrote it. A marker
        comment by anyone else (a person quoting it, another bot) is never edited."""
        page = 1
        while True:
            batch = self.call("GET", f"/repos/{self.repo}/issues/{number}/comments?per_page=100&page={page}")
            if not batch:
                break
            for c in batch:
                login = str((c.get("user") or {}).get("login") or "")
                if str(c.get("body") or "").startswith(MARKER) and login.lower() == author.lower():
                    return int(c["id"])
            if len(batch) < 100:
                break
            page += 1
        return None


def comment() -> int:
    number = pr_number()
    if number is None:
        _log("notice", "not a pull request: no comment posted (the step summary has the report)")
        return 0
    body_path = Path(_input("body-file") or Path(_input("report-dir", "cstudio-report")) / "check.md")
    try:
        body = body_path.read_text(encoding="utf-8")
        if not body.startswith(MARKER):
            body = f"{MARKER}\n{body}"
        gh = GitHub(
            os.environ.get("GITHUB_API_URL", "https://api.github.com"),
            _input("github-token") or os.environ.get("GITHUB_TOKEN", ""),
            os.environ["GITHUB_REPOSITORY"],
        )
        existing = gh.find_comment(number, gh.login())
        if existing is None:
            gh.call("POST", f"/repos/{gh.repo}/issues/{number}/comments", {"body": body})
            _log("notice", f"created the constitution check comment on #{number}")
        else:
            gh.call("PATCH", f"/repos/{gh.repo}/issues/comments/{existing}", {"body": body})
            _log("notice", f"updated the constitution check comment on #{number}")
    except (OSError, KeyError, ValueError, urllib.error.URLError) as exc:
        reason = f"HTTP {exc.code}" if isinstance(exc, urllib.error.HTTPError) else str(exc)
        _log(
            "warning",
            f"could not post the PR comment ({reason}); the step summary and the artifact have the report"
            " (pull requests from forks get a read-only token)",
        )
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["run-check"]:
        return run_check()
    if argv[1:] == ["comment"]:
        return comment()
    sys.stderr.write("usage: action.py run-check|comment\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
