"""CI caches that work (issue 18, item 7): the score cache the action restores on another runner
(another path, another user id, a fresh per-user key: no owner mark can match) is used through
CSTUDIO_SCORE_CACHE, while a `.cstudio/` committed to the repository, or any cache folder git
tracks, is never trusted; and what is set aside unread never piles up."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from fixtures.shift_support import build_repo, git

from constitution_studio.cli import main
from constitution_studio.core.statedir import SCORE_CACHE_ENV, STATE_DIR, trusted_state_dir


def _eval(root: Path, model: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    assert main(["eval", "--root", str(root), "--critic-model", str(model), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return {"scored": int(data["scored"]), "cached": int(data["cached"])}


def _stats(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    assert main(["cache", "stats", "--root", str(root), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    return int(json.loads(out)["entries"]), err


def test_a_cache_restored_on_another_runner_is_used(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # runner 1: the score cache outside the checkout, where the action keeps it
    first = build_repo(tmp_path / "runner1" / "work" / "repo", "builtin:smollm2-135m")
    saved = tmp_path / "runner1" / "temp" / "cstudio-scores"
    monkeypatch.setenv(SCORE_CACHE_ENV, str(saved))
    run1 = _eval(first, tiny_model_dir, capsys)
    assert run1["scored"] > 0 and run1["cached"] == 0
    assert not (first / STATE_DIR / "critic.sqlite").exists()  # nothing in the checkout
    # runner 2: another checkout path, the cache restored at another path, another user's files,
    # and a fresh per-user key (no owner mark could ever match)
    second = tmp_path / "runner2" / "w" / "repo"
    shutil.copytree(first, second, ignore=shutil.ignore_patterns(STATE_DIR))
    restored = tmp_path / "runner2" / "tmp" / "scores"
    shutil.copytree(saved, restored)
    if os.geteuid() == 0:  # as root, make the restored files another user's, as on another runner
        for path in (restored, *restored.rglob("*")):
            os.chown(path, 4242, 4242)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "runner2" / "state"))
    monkeypatch.setenv(SCORE_CACHE_ENV, str(restored))
    entries, _ = _stats(second, capsys)
    assert entries >= run1["scored"] > 0
    run2 = _eval(second, tiny_model_dir, capsys)
    assert run2["cached"] == run1["scored"] and run2["scored"] == 0  # every score from the cache


def test_a_committed_cache_is_never_trusted(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build_repo(tmp_path / "repo", "builtin:smollm2-135m")
    made = tmp_path / "made"
    monkeypatch.setenv(SCORE_CACHE_ENV, str(made))
    assert _eval(root, tiny_model_dir, capsys)["scored"] > 0
    # the pull request commits a filled cache, as .cstudio/ and as a folder of its own
    for folder in (root / STATE_DIR, root / "ci-cache"):
        folder.mkdir(exist_ok=True)
        shutil.copy2(made / "critic.sqlite", folder / "critic.sqlite")
    git(root, "add", "-f", STATE_DIR, "ci-cache")
    git(root, "commit", "-qm", "a cache full of answers")
    monkeypatch.delenv(SCORE_CACHE_ENV)
    entries, err = _stats(root, capsys)
    assert entries == 0 and "tracked by git" in err
    for inside in (root / STATE_DIR, root / "ci-cache"):
        monkeypatch.setenv(SCORE_CACHE_ENV, str(inside))
        entries, err = _stats(root, capsys)
        assert entries == 0 and "tracked by git" in err, err
    # an untracked folder in the checkout (where GitLab restores its caches) is used
    untracked = root / ".cache" / "scores"
    shutil.copytree(made, untracked)
    monkeypatch.setenv(SCORE_CACHE_ENV, str(untracked))
    assert _stats(root, capsys)[0] > 0
    elsewhere = tmp_path / "link"
    elsewhere.symlink_to(made)
    monkeypatch.setenv(SCORE_CACHE_ENV, str(elsewhere))
    entries, err = _stats(root, capsys)
    assert entries == 0 and "is a symlink" in err


def test_what_is_set_aside_never_piles_up(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    for n in range(4):  # a copied, unmarked .cstudio/ each time (e.g. an old CI cache restored)
        state = root / STATE_DIR
        if state.exists():
            (state / "owner").unlink()  # no longer ours here
        state.mkdir(exist_ok=True)
        (state / f"critic-{n}.sqlite").write_text("planted")
        assert trusted_state_dir(root) is not None
    aside = sorted(p.name for p in (root / STATE_DIR).iterdir() if p.name.startswith("untrusted-"))
    assert len(aside) == 1  # only the newest is kept
    assert [p.name for p in (root / STATE_DIR / aside[0]).iterdir() if p.name.startswith("critic-")] == [
        "critic-3.sqlite"
    ]
