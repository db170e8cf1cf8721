"""`cstudio trust`: method anchored is one judge everywhere (the same demonstrations as `cstudio
eval` and `critic compare`, left out of agreement with the same n), and history outside git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from fixtures.shift_support import Version

from constitution_studio.cli import main


def _anchored(root: Path, model: Path) -> None:
    v = Version(str(model))
    v.critic_extra = "  method: anchored\n  anchored_k: 2\n  device: cpu\n"
    v.write(root)


def test_trust_eval_and_compare_agree_on_an_anchored_judge(tmp_path: Path, tiny_model_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _anchored(tmp_path, tiny_model_dir)
    root = ["--root", str(tmp_path)]
    assert main(["trust", *root, "--format", "json"]) == 0
    trust = json.loads(capsys.readouterr().out)
    assert trust["excluded"] > 0 and trust["demonstrations"]
    assert main(["eval", *root, "--format", "json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["trust"]["overall"] == trust["overall"]
    assert evaluated["trust"]["excluded"] == trust["excluded"]
    assert main(["critic", "compare", *root, "--method", "anchored", "--variant", "default", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["rows"]
    assert row["excluded"] == trust["excluded"]
    assert row["agreement"] == trust["overall"]


def test_trust_history_shows_one_set_of_demonstrations_across_commits(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model_dir: Path, capsys
) -> None:
    _anchored(tmp_path, tiny_model_dir)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    v = Version(str(tiny_model_dir))
    v.critic_extra = "  method: anchored\n  anchored_k: 2\n  device: cpu\n"
    v.statements["HARM-01"] = v.statements["HARM-01"] + " Including instructions."
    v.write(tmp_path)
    subprocess.run([*git, "commit", "-qam", "two"], check=True)
    assert main(["trust", "--history", "--root", str(tmp_path), "--format", "json"]) == 0
    points = json.loads(capsys.readouterr().out)["points"]
    assert len(points) == 2
    shown = [p["trust"]["demonstrations"] for p in points]
    assert shown[0] and shown[0] == shown[1]
    assert all(p["trust"]["excluded"] > 0 for p in points)


def test_trust_history_outside_git_is_one_line_that_says_what_it_needs(  # type: ignore[no-untyped-def]
    tmp_path: Path, tiny_model_dir: Path, capsys
) -> None:
    Version(str(tiny_model_dir)).write(tmp_path)
    assert main(["trust", "--history", "--cached-only", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cstudio: no git history: trust over commits reads git history")
    assert "WORKTREE" not in err
