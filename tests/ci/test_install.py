"""The base install: build the wheel and sdist, install the wheel WITHOUT the critic extra into a
fresh venv, and run what a constitution repo's CI and pre-commit need (validate, diff, schema,
the hook). Slow (a venv and a pip install); pip's download cache keeps it to seconds after the
first run. The constraints are the dev lock (.venv/constraints.txt, written by scripts/dev.sh).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def ok(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = run(cmd, cwd, env)
    assert done.returncode == 0, f"{shlex.join(cmd)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    ok([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), "."], REPO)
    code = f"from setuptools import build_meta as b; print(b.build_sdist({str(out)!r}))"
    ok([sys.executable, "-c", code], REPO)
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("base") / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    ok([base_python, "-m", "venv", str(where)], REPO)
    wheel = next(dist.glob("constitution_studio-*.whl"))
    constraints = REPO / ".venv" / "constraints.txt"
    cmd = [str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if constraints.is_file():
        cmd += ["-c", str(constraints)]
    ok([*cmd, str(wheel)], REPO)
    return where


def test_wheel_and_sdist_contents(dist: Path) -> None:
    wheel = next(dist.glob("constitution_studio-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "constitution_studio/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in meta and "Provides-Extra: critic" in meta
    base = [line for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert base and not any(name in line for line in base for name in ("torch", "transformers"))
    assert not any(n.startswith("tests/") for n in names)
    sdist = next(dist.glob("constitution_studio-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        members = [m.split("/", 1)[1] for m in tar.getnames() if "/" in m]
    assert "LICENSE" in members and "pyproject.toml" in members
    assert not [m for m in members if m.startswith(("tests/", ".ci/", "benchmarks/", ".github/", "principles/"))]


def test_base_install_runs_without_torch(venv: Path, dist: Path, tmp_path: Path) -> None:
    bin_ = venv / "bin"
    py = str(bin_ / "python")
    ok(
        [
            py,
            "-c",
            "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('torch', 'transformers', 'numpy')))",  # noqa: E501
        ],
        tmp_path,
    )
    repo = tmp_path / "policy"
    shutil.copytree(REPO / "principles", repo / "principles")
    shutil.copytree(REPO / "eval_cases", repo / "eval_cases")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x", "PATH": f"{bin_}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    ok(["git", "init", "-q", "-b", "main"], repo, env)
    ok(["git", "add", "-A"], repo, env)
    ok(["git", "commit", "-q", "-m", "base"], repo, env)
    cstudio = str(bin_ / "cstudio")
    ok([cstudio, "new", "CI-99", "--title", "Added in the work tree"], repo, env)
    assert "ok:" in run([cstudio, "validate"], repo, env).stderr
    # the CI outputs of validate (annotations, SARIF) need nothing from the critic extra
    done = run([cstudio, "validate", "--format", "github", "--sarif", str(tmp_path / "v.sarif")], repo, env)
    assert done.returncode == 0 and "internal error" not in done.stderr, done.stderr
    assert json.loads((tmp_path / "v.sarif").read_text())["version"] == "2.1.0"
    (repo / "eval_cases" / "dangling.yaml").write_text("cases:\n  - id: dangling\n    principles: [NOPE-01]\n")
    done = run([cstudio, "validate", "--format", "github", "--sarif", str(tmp_path / "v2.sarif")], repo, env)
    assert done.returncode == 1 and done.stdout.startswith("::error file="), done.stderr
    assert json.loads((tmp_path / "v2.sarif").read_text())["runs"][0]["results"]
    (repo / "eval_cases" / "dangling.yaml").unlink()
    assert "CI-99" in ok([cstudio, "diff", "HEAD"], repo, env)
    ok([cstudio, "schema", "--out", str(tmp_path / "schema")], repo, env)
    assert sorted(p.name for p in (tmp_path / "schema").iterdir())
    # the pre-commit hook, exactly as .pre-commit-hooks.yaml declares it
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["language"] == "python" and hook.get("additional_dependencies") in (None, [])
    ok(shlex.split(hook["entry"]), repo, env)
    (repo / "eval_cases" / "broken.yaml").write_text("cases:\n  - id: [\n")
    assert run(shlex.split(hook["entry"]), repo, env).returncode == 1
    # a critic command says how to get the critic, in one line, exit 2
    done = run([cstudio, "eval"], repo, env)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "[critic]" in done.stderr and "-m pip install" in done.stderr
    # installed by name from a wheelhouse (pip writes no direct_url.json): the hint is the name
    reinstall = ["install", "-q", "--disable-pip-version-check", "--no-index", "--no-deps", "--force-reinstall"]
    ok([py, "-m", "pip", *reinstall, "--find-links", str(dist), "constitution-studio"], repo, env)
    done = run([cstudio, "eval"], repo, env)
    assert done.returncode == 2 and "-m pip install 'constitution-studio[critic]'" in done.stderr, done.stderr
    assert "site-packages" not in done.stderr
