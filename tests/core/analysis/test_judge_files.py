"""A pull request cannot swap its judge's weights: a model folder inside the repository that the
head changed is a critic change (the base's settings would otherwise load the head's files)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fixtures.shift_support import build_repo, git, reword_move_add

from constitution_studio.core.analysis.gate import run_check
from constitution_studio.core.analysis.judge_files import judge_file_changes
from constitution_studio.core.models import CriticSettings


def _repo_with_judge(tmp_path: Path, weights: Path) -> Path:
    """`main` commits the judge folder and a constitution naming it; branch `head` rewords."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(weights, root / "judge")
    return build_repo(root, "judge", head_edit=reword_move_add)


def _swap_weights(root: Path, other: Path) -> None:
    shutil.copy2(other / "model.safetensors", root / "judge" / "model.safetensors")


def test_changed_judge_weights_fail_the_check(tmp_path: Path, tiny_model_dir: Path, tiny_model_dir_seed1: Path) -> None:
    root = _repo_with_judge(tmp_path, tiny_model_dir)
    _swap_weights(root, tiny_model_dir_seed1)
    git(root, "commit", "-qam", "better judge")
    result = run_check(root, "main", "head")
    gate = next(g for g in result.gates if g.rule == "critic_change")
    assert not gate.passed and "model files changed" in gate.message
    (change,) = [s for s in result.settings_changed if s.key.startswith("critic.model files")]
    assert change.key == "critic.model files (judge)" and "judge/model.safetensors" in str(change.head)
    assert not result.passed


def test_uncommitted_and_untracked_judge_files_count_too(tmp_path: Path, tiny_model_dir: Path) -> None:
    root = _repo_with_judge(tmp_path, tiny_model_dir)
    (root / "judge" / "extra_tokens.json").write_text("{}")
    (change,) = judge_file_changes(root, CriticSettings(model="judge"), _sha(root, "main"))
    assert "judge/extra_tokens.json" in str(change.head)


def test_an_unchanged_judge_folder_and_one_outside_the_repository_are_not_changes(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    root = _repo_with_judge(tmp_path, tiny_model_dir)
    base = _sha(root, "main")
    assert judge_file_changes(root, CriticSettings(model="judge"), base) == []
    assert judge_file_changes(root, CriticSettings(model=str(tiny_model_dir)), base) == []
    assert judge_file_changes(root, CriticSettings(model="builtin:smollm2-135m"), base) == []
    result = run_check(root, "main", "head")
    assert result.critic_change is None


def test_a_panel_members_folder_is_compared_as_well(
    tmp_path: Path, tiny_model_dir: Path, tiny_model_dir_seed1: Path
) -> None:
    root = _repo_with_judge(tmp_path, tiny_model_dir)
    _swap_weights(root, tiny_model_dir_seed1)
    settings = CriticSettings(model=str(tiny_model_dir), panel=[str(tiny_model_dir), "judge"])
    (change,) = judge_file_changes(root, settings, _sha(root, "main"))
    assert change.key == "critic.model files (judge)"


def _sha(root: Path, ref: str) -> str:
    return git(root, "rev-parse", ref).strip()
