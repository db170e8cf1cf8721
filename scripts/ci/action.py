#!/usr/bin/env python3
"""The logic of the GitHub Action (action.yml), kept out of YAML so it can be tested.

    action.py keys        the pip cache key (step output), from the lock alone: it runs before
                          the install
    action.py model-keys  after the install (cstudio's YAML reader parses critic:): the model
                          cache key per critic model (saved once, restored by exact key), the
                          score cache key per run (restored by prefix: this branch, else the
                          base/default branch), the folders they cache (HF_HOME honoured; the
                          scores outside the checkout) and whether the builtin model's package
                          is needed
    action.py run-check   run `cstudio check` with every report, write the step summary and
                          the step outputs; always exits 0 (the action's last step exits
                          with the check's code, after the comment, artifacts and cache save).
                          Without a base (a push to the default branch) it warms the caches
                          instead: `cstudio eval` of the branch's version under each judge,
                          so every pull request starts from that branch's scores and model
    action.py comment     create or update the one PR comment that starts with the marker;
                          a failed post (fork PR, read-only token, API down) is a warning,
                          never a failure

Inputs come from the environment as the action passes them (INPUT_*), plus the runner's
GITHUB_* variables. Standard library only (it runs before and without the package), except
`model-keys`, which runs after the install and reads constitution.yaml with cstudio's reader.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
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


# --- files in the report folder ------------------------------------------------------------
# The report folder is inside the checkout, which the pull request controls: it may hold a
# planted `check.md -> ~/.ssh/id_rsa` (read back into the summary and the PR comment) or
# `check.md -> ~/.bashrc` (written through). Nothing here follows a symlink there.

REPORT_FILES = ("check.md", "check.full.md", "check.json", "check.xml", "check.sarif")
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _link_in(path: Path) -> Path | None:
    """The first symlink among `path` and its existing folders below the current folder."""
    cwd = Path.cwd()
    try:
        rel = Path(os.path.abspath(path)).relative_to(cwd)
    except ValueError:
        return None
    current = cwd
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def _write_new(path: Path, text: str) -> None:
    """Replace whatever is at `path` (a planted symlink included) by a new file, never writing through a link."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, _NEW_FILE, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists() or tmp.is_symlink():
            tmp.unlink()


def _read_report(path: Path) -> str | None:
    """A report file's text, or None when it is missing or not a regular file (a symlink is never read)."""
    if path.is_symlink() or not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _report_folder(report_dir: Path) -> Path | None:
    """The report folder, created; None (an error logged) when it or a folder above it is a symlink.
    Planted links in it, where the reports go, are removed (the links, never their targets)."""
    link = _link_in(report_dir)
    if link is not None:
        _log("error", f"{link} is a symlink: no report is written through it (report-dir must be a plain folder)")
        return None
    report_dir.mkdir(parents=True, exist_ok=True)
    for entry in report_dir.iterdir():
        if entry.is_symlink() and (entry.name in REPORT_FILES or entry.name.startswith("eval.")):
            entry.unlink()
    return report_dir


# --- run-check ---------------------------------------------------------------------------


PUSH_EVENTS = ("push", "schedule", "workflow_dispatch")


def base_ref() -> str | None:
    """The ref to compare against; None on a push (warm the caches), exit 2 when none fits."""
    base = _input("base")
    if base:
        return base
    if os.environ.get("GITHUB_BASE_REF"):
        return f"origin/{os.environ['GITHUB_BASE_REF']}"
    if os.environ.get("GITHUB_EVENT_NAME") in PUSH_EVENTS:
        return None
    raise SystemExit("cstudio action: set the `base` input (no pull request base branch to default to)")


# --- keys --------------------------------------------------------------------------------


def _digest(*parts: str, n: int = 16) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:n]


BUILTIN_PREFIX = "builtin:"
DEFAULT_MODEL = "builtin:smollm2-135m"  # critic.model when the constitution names none


def _constitution(root: Path) -> tuple[dict[str, Any], bool]:
    """constitution.yaml's data, parsed by cstudio's own YAML reader (size-checked, never through a
    symlink out of the root), and whether it was read; ({}, False) when it cannot be."""
    try:
        from constitution_studio.core.storage.safe_paths import read_in_root
        from constitution_studio.core.yamldoc import decode, load_fast
        from constitution_studio.errors import StudioError
    except ImportError:  # the package is not installed: nothing to read the file with
        return {}, False
    try:
        raw = read_in_root(root, "principles/constitution.yaml")
        data = load_fast(decode(raw, "principles/constitution.yaml")) if raw is not None else None
    except (StudioError, OSError):  # unreadable: the key is the default model's
        return {}, False
    return (data, True) if isinstance(data, dict) else ({}, False)


def critic_models(root: Path, override: str = "") -> list[str]:
    """Every model the judge loads, as `critic:` names them (a YAML parser reads the file: a flow
    mapping `critic: {model: A}`, a folded or quoted scalar all give the same models); `override`
    is the critic-model input, which replaces critic.model. Other settings do not change them."""
    data, _ = _constitution(root)
    critic = data.get("critic")
    critic = critic if isinstance(critic, dict) else {}
    model = override or str(critic.get("model") or DEFAULT_MODEL).strip()
    members = critic.get("panel")
    members = members if isinstance(members, list) else []
    panel = [str(m.get("model") if isinstance(m, dict) else m).strip() for m in members]
    return [model, *panel]


def _hf_home() -> str:
    """Where the Hugging Face hub caches models: HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache."""
    if os.environ.get("HF_HOME"):
        return os.path.abspath(os.path.expanduser(os.environ["HF_HOME"]))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "huggingface")


def _cstudio_models() -> str:
    """The converted builtin model's folder (the package's user cache folder)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "constitution-studio", "models")


def pip_key(action_path: Path) -> str:
    os_name = os.environ.get("RUNNER_OS", "Linux")
    py = _input("python-version", "3.11")
    torch = _input("torch-version", "2.13.0")
    lock = (action_path / "constraints" / "dev.txt").read_text(encoding="utf-8") if action_path.is_dir() else ""
    project = (action_path / "pyproject.toml").read_text(encoding="utf-8") if action_path.is_dir() else ""
    return f"cstudio-pip-{os_name}-py{py}-torch{torch}-{_digest(project, lock)}"


def cache_keys(action_path: Path, root: Path) -> dict[str, str]:
    """The model and score cache keys and paths (after the install: the package reads the YAML)."""
    os_name = os.environ.get("RUNNER_OS", "Linux")
    lock = (action_path / "constraints" / "dev.txt").read_text(encoding="utf-8") if action_path.is_dir() else ""
    models = critic_models(root, _input("critic-model"))
    transformers = "".join(re.findall(r"(?m)^transformers==\S+", lock))  # the converted builtin model's format
    model = _digest(json.dumps(models), transformers)
    temp = os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    return {
        "model": f"cstudio-model-{os_name}-{model}",
        "scores-prefix": f"cstudio-scores-{os_name}-{model}-",
        # the builtin model's package only when a judge is builtin (a hub model needs none of it)
        "builtin": "true" if any(m.startswith(BUILTIN_PREFIX) for m in models) else "false",
        "hf-home": _hf_home(),
        "cstudio-models": _cstudio_models(),
        # the score cache lives outside the checkout (CSTUDIO_SCORE_CACHE): restored there, used
        # by cstudio whatever the runner's path or user, and never mixed with a .cstudio/ the
        # repository holds
        "score-dir": os.path.join(temp, "cstudio-scores"),
    }


def keys() -> int:
    """Before the install: the pip cache key (the lock alone; no YAML parser yet)."""
    action_path = Path(os.environ.get("GITHUB_ACTION_PATH") or Path(__file__).resolve().parents[2])
    _output("pip", pip_key(action_path))
    return 0


def model_keys() -> int:
    """After the install: the model and score cache keys, the paths they cache, the builtin flag."""
    action_path = Path(os.environ.get("GITHUB_ACTION_PATH") or Path(__file__).resolve().parents[2])
    for name, value in cache_keys(action_path, Path(_input("root", ".") or ".")).items():
        _output(name, value)
    return 0


# --- run-check ---------------------------------------------------------------------------


def check_command(report_dir: Path) -> list[str]:
    """The `cstudio check` command line the inputs ask for."""
    cstudio = shlex.split(os.environ.get("CSTUDIO", "cstudio"))
    base = base_ref()
    if base is None:
        raise SystemExit("cstudio action: no base to check against")
    cmd = [*cstudio, "check", "--base", base, "--head", _input("head", "HEAD") or "HEAD"]
    cmd += ["--root", _input("root", ".") or "."]
    cmd += ["--markdown", str(report_dir / "check.md"), "--markdown-full", str(report_dir / "check.full.md")]
    cmd += ["--json", str(report_dir / "check.json"), "--junit", str(report_dir / "check.xml")]
    cmd += ["--sarif", str(report_dir / "check.sarif"), "--format", "github"]
    budget = _input("comment-budget")
    if budget:
        cmd += ["--markdown-budget", budget]
    artifact = _input("artifact-name")
    if artifact:
        cmd += ["--markdown-artifact", artifact]
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


def warm_commands() -> list[tuple[str, list[str]]]:
    """`cstudio eval` of the checked-out version under each judge variant (`warm-variants`)."""
    cstudio = shlex.split(os.environ.get("CSTUDIO", "cstudio"))
    cmd = [*cstudio, "eval", "--root", _input("root", ".") or ".", "--format", "json"]
    model = _input("critic-model")
    if model:
        cmd += ["--critic-model", model]
    variants = list(dict.fromkeys(["default", *shlex.split(_input("warm-variants", "alt"))]))
    return [(v, [*cmd, "--variant", v]) for v in variants]


def _run(cmd: list[str], stdout: Path | None = None) -> int:
    sys.stderr.write("+ " + shlex.join(cmd) + "\n")
    sys.stderr.flush()
    try:
        if stdout is None:
            return subprocess.run(cmd, check=False).returncode
        done = subprocess.run(cmd, check=False, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        _write_new(stdout, done.stdout)
        return done.returncode
    except OSError as exc:
        _log("error", f"cannot run cstudio: {exc}")
        return 2


def warm(report_dir: Path) -> int:
    """A push run: score the branch's version so pull requests into it restore its caches.
    The default judge must succeed; another variant the critic's family lacks is a warning."""
    ref = os.environ.get("GITHUB_REF_NAME", "this branch")
    rows: list[str] = []
    code = 0
    for variant, cmd in warm_commands():
        out = report_dir / f"eval.{variant}.json"
        got = _run(cmd, out)
        try:
            data = json.loads(out.read_text(encoding="utf-8")) if got == 0 else {}
        except (OSError, ValueError):
            data = {}
        if got != 0 and variant == "default":
            code = got
        elif got != 0:
            _log("warning", f"cstudio eval --variant {variant} exited {got}; that judge is not cached")
        rows.append(f"| `{variant}` | {data.get('scored', '—')} | {data.get('cached', '—')} | {got} |")
    summary = (
        f"{MARKER}\n## Constitution cache warmed on `{ref}`\n\n"
        "Every case scored under each judge, so pull requests into this branch restore its caches.\n\n"
        "| Judge | Scored | From the cache | Exit |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    _write_new(report_dir / "check.md", summary)
    return code


def run_check() -> int:
    report_dir = Path(_input("report-dir", "cstudio-report") or "cstudio-report")
    folder = _report_folder(report_dir)
    try:
        warming = base_ref() is None
        cmd = [] if warming else check_command(report_dir)
    except SystemExit as exc:
        _log("error", str(exc))
        code = 2
    else:
        code = 2 if folder is None else warm(report_dir) if warming else _run(cmd)
    markdown = report_dir / "check.md"
    text = _read_report(markdown) if folder is not None else None
    if text is not None:
        _append("GITHUB_STEP_SUMMARY", text)
    else:
        _append(
            "GITHUB_STEP_SUMMARY",
            f"{MARKER}\n## Constitution check could not run (exit {code})\n\n"
            "`cstudio check` stopped before writing its report; the job log has the one-line reason.\n",
        )
        if folder is not None:
            _write_new(
                markdown,
                f"{MARKER}\n## Constitution check could not run (exit {code})\n\nSee the job log for the reason.\n",
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
        text = _read_report(body_path) if _link_in(body_path.parent) is None else None
        if text is None:  # missing, or a symlink the pull request planted: never read, never posted
            raise OSError(f"{body_path} is not a plain file in a plain folder")
        body = text
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
    if argv[1:] == ["keys"]:
        return keys()
    if argv[1:] == ["model-keys"]:
        return model_keys()
    if argv[1:] == ["run-check"]:
        return run_check()
    if argv[1:] == ["comment"]:
        return comment()
    sys.stderr.write("usage: action.py keys|model-keys|run-check|comment\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
