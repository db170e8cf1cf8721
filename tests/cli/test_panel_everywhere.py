"""One `open_judge` behind every surface: with `critic.panel` configured, eval, shift, check,
trust, review and the studio all judge with the panel (each names its members where it says
which critic judged), never with the single `critic.model`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixtures.shift_support import ScriptedCritic, Version, build_repo, reword_move_add, stable_noise

from constitution_studio.cli import main
from constitution_studio.core.critic import Critic, Judge, open_judge
from constitution_studio.core.critic.panel import Panel
from constitution_studio.core.models import CriticSettings


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, tiny_model_dir_seed1: Path) -> Path:
    """A repo whose `critic:` lists a panel of two tiny models (shared: later surfaces read the cache)."""

    def with_panel(v: Version) -> None:
        v.critic_extra = f'  panel: ["{tiny_model_dir}", "{tiny_model_dir_seed1}"]\n  device: cpu\n  dtype: float32\n'

    root = tmp_path_factory.mktemp("panel-everywhere") / "repo"
    return build_repo(root, str(tiny_model_dir), base_edit=with_panel, head_edit=reword_move_add)


def _studio(root: Path) -> list[str]:
    """The judge every studio screen scores with (the critic panes, impact, review, trust)."""
    from constitution_studio.tui.app import StudioApp

    return StudioApp(root).critic().info.panel


# each command with where its JSON names the critic that judged
COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "eval": (["eval", "--format", "json"], ["critic"]),
    "shift": (["shift", "main", "head", "--format", "json"], ["critic"]),
    "check": (["check", "--base", "main", "--json", "-", "--quiet"], ["shift", "critic"]),
    "trust": (["trust", "--history", "2", "--cached-only", "--format", "json"], ["critic"]),
    "review": (["review", "--cached-only", "--format", "json"], ["critic"]),
}


@pytest.mark.parametrize("surface", [*COMMANDS, "studio"])
def test_every_surface_judges_with_the_configured_panel(
    repo: Path, tiny_model_dir: Path, tiny_model_dir_seed1: Path, surface: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if surface == "studio":
        members = _studio(repo)
    else:
        args, where = COMMANDS[surface]
        code = main([*args, "--root", str(repo)])
        out = capsys.readouterr().out
        assert code in (0, 1), out  # check exits 1 when a gate fails; its report is written either way
        data: Any = json.loads(out)
        for key in where:
            data = data[key]
        members = data["panel"]
    assert members == [f"m1={tiny_model_dir} (plain)", f"m2={tiny_model_dir_seed1} (plain)"]


def test_open_judge_honours_the_panel_and_the_model_override(tmp_path: Path, tiny_model_dir: Path) -> None:
    settings = CriticSettings(model="builtin:smollm2-135m", device="cpu")
    single = open_judge(settings, tmp_path, model=str(tiny_model_dir))
    assert isinstance(single, Critic) and single.settings.model == str(tiny_model_dir)  # --critic-model
    assert not single.members and not single.loaded
    assert single.loading_message == f"loading the critic model {tiny_model_dir}…"
    panel = open_judge(settings.model_copy(update={"panel": [str(tiny_model_dir), str(tiny_model_dir)]}), tmp_path)
    assert isinstance(panel, Panel) and list(panel.members) == ["m1", "m2"]
    assert all(not m.settings.panel for m in panel.members.values())  # a member is one critic


def test_every_backend_and_double_is_a_judge(tmp_path: Path, tiny_model_dir: Path) -> None:
    """The runtime face of what mypy checks (opening.py, shift_support.py): every protocol member is there."""
    settings = CriticSettings(model=str(tiny_model_dir), device="cpu")
    scripted = ScriptedCritic(lambda pid, statement, cid, variant: stable_noise(pid, cid))
    judges: list[object] = [
        open_judge(settings, tmp_path),
        open_judge(settings.model_copy(update={"panel": [str(tiny_model_dir)] * 2}), tmp_path),
        scripted,
    ]
    assert all(isinstance(j, Judge) for j in judges)
    assert not isinstance(object(), Judge)
