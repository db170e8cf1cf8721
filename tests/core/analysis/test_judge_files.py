"""A pull request cannot swap its judge's weights: a model folder inside the repository that the
head changed is a critic change (the base's settings would otherwise load the head's files)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fixtures.shift_support import Version, build_repo, git, reword_move_add

from constitution_studio.core.analysis.gate import run_check
from constitution_studio.core.analysis.judge_files import JudgeFileChange, judge_file_changes
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
    assert str(change.head).startswith("1 file differs: "), change.head  # a count in words, the verb agreeing


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


# --- symlinks: a judge folder is compared by what it resolves to --------------------------


def test_a_judge_folder_swapped_for_a_symlink_out_of_the_repository_is_refused(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """The issue's bypass 7: `judge/` replaced by a symlink to weights outside the repository."""
    root = _repo_with_judge(tmp_path, tiny_model_dir)
    outside = tmp_path / "elsewhere"
    shutil.copytree(tiny_model_dir, outside)
    shutil.rmtree(root / "judge")
    (root / "judge").symlink_to(outside)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "judge from elsewhere")
    (change,) = judge_file_changes(root, CriticSettings(model="judge"), _sha(root, "main"))
    assert isinstance(change, JudgeFileChange) and change.leaves_repository
    assert "resolves outside the repository" in str(change.head) and str(outside) in str(change.head)
    result = run_check(root, "main", "head")
    gate = next(g for g in result.gates if g.rule == "critic_change")
    assert not gate.passed and "refused as a judge" in gate.message
    assert result.shift is None  # the outside weights never judged anything
    assert not result.passed


def test_a_symlink_out_of_the_repository_is_refused_even_when_critic_changes_are_allowed(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(tiny_model_dir, root / "judge")
    allow = "  allow_critic_change: true\n"

    def base(v: Version) -> None:
        v.check = allow

    build_repo(root, "judge", base_edit=base, head_edit=reword_move_add)
    outside = tmp_path / "elsewhere"
    shutil.copytree(tiny_model_dir, outside)
    (root / "judge" / "model.safetensors").unlink()
    (root / "judge" / "model.safetensors").symlink_to(outside / "model.safetensors")
    (change,) = judge_file_changes(root, CriticSettings(model="judge"), _sha(root, "main"))
    assert change.leaves_repository and "judge/model.safetensors" in str(change.head)
    result = run_check(root, "main", "head")
    assert result.critic_change is not None and not result.critic_change.allowed
    assert result.shift is None and not result.passed


def test_a_symlink_to_an_identical_folder_inside_the_repository_is_no_change(
    tmp_path: Path, tiny_model_dir: Path, tiny_model_dir_seed1: Path
) -> None:
    root = _repo_with_judge(tmp_path, tiny_model_dir)
    shutil.copytree(root / "judge", root / "models" / "judge")
    shutil.rmtree(root / "judge")
    (root / "judge").symlink_to("models/judge")
    base = _sha(root, "main")
    assert judge_file_changes(root, CriticSettings(model="judge"), base) == []
    # ... but the folder it now points at is compared: a changed file in it is a change
    _swap_weights(root / "models", tiny_model_dir_seed1)
    (change,) = judge_file_changes(root, CriticSettings(model="judge"), base)
    assert "judge/model.safetensors" in str(change.head) and not change.leaves_repository


def test_a_committed_symlink_in_the_judge_folder_is_compared_by_its_target(
    tmp_path: Path, tiny_model_dir: Path, tiny_model_dir_seed1: Path
) -> None:
    """The base commits `judge/model.safetensors -> ../weights/model.safetensors`: unchanged, it is
    no change (it used to be, the link's text never matched the file's hash); the target edited is."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(tiny_model_dir, root / "judge")
    (root / "weights").mkdir()
    (root / "judge" / "model.safetensors").rename(root / "weights" / "model.safetensors")
    (root / "judge" / "model.safetensors").symlink_to("../weights/model.safetensors")
    build_repo(root, "judge", head_edit=reword_move_add)
    base = _sha(root, "main")
    assert judge_file_changes(root, CriticSettings(model="judge"), base) == []
    shutil.copy2(tiny_model_dir_seed1 / "model.safetensors", root / "weights" / "model.safetensors")
    (change,) = judge_file_changes(root, CriticSettings(model="judge"), base)
    assert "judge/model.safetensors" in str(change.head)


def test_a_head_critic_that_is_a_symlink_out_of_the_repository_is_refused(tmp_path: Path, tiny_model_dir: Path) -> None:
    """The head names its own judge `mine`, a symlink it planted to a folder outside."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(tiny_model_dir, root / "judge")
    outside = tmp_path / "elsewhere"
    shutil.copytree(tiny_model_dir, outside)

    def head(v: Version) -> None:
        reword_move_add(v)
        v.model = "mine"
        (root / "mine").symlink_to(outside)

    build_repo(root, "judge", head_edit=head)
    result = run_check(root, "main", "head")
    assert result.critic_change is not None
    keys = [s.key for s in result.critic_change.settings]
    assert "critic.model files (mine) at head" in keys
    assert result.critic_change.shift is None  # the head's own critic was never opened
    assert result.shift is not None  # the base's judge (in the repository, unchanged) still judged
    gate = next(g for g in result.gates if g.rule == "critic_change")
    assert not gate.passed and "refused as a judge" in gate.message
