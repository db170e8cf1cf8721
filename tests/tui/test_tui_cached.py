"""Labels already in the critic's cache appear without running the model; auto-run on typing pauses.

The cache is filled beforehand by the real critic on the tiny random-weight model, through
the same `open_critic` the studio uses; the studio's own critic must then answer from the
cache alone (`model_calls == 0`, the model never loaded).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea
from textual.worker import WorkerCancelled

from constitution_studio.core.critic import ScoreRequest, open_critic
from constitution_studio.core.models import CriticSettings
from constitution_studio.core.workspace import load_root
from constitution_studio.tui.app import StudioApp
from constitution_studio.tui.screens.critic_runner import AUTO_RUN_SECONDS, LOOKUP_SECONDS
from constitution_studio.tui.screens.main import MainScreen
from constitution_studio.tui.widgets.cases_panel import CaseTable
from constitution_studio.tui.widgets.principle_table import PrincipleTable

SIZE = (120, 40)
EDIT = " Always."


def fill_cache(root: Path, settings: CriticSettings, pid: str, statements: list[str]) -> None:
    """Score `pid`'s linked cases under each wording with a separate critic (writes the cache)."""
    ws = load_root(root)
    critic = open_critic(settings, root)
    requests = [ScoreRequest(principle_id=pid, statement=s, case=c) for s in statements for c in ws.cases_for(pid)]
    assert len(list(critic.score(requests))) == len(requests)
    critic.close()


def studio_critic(app: StudioApp) -> Any:
    return app._critic


async def test_cached_labels_appear_on_selection_without_the_model(
    mini_root: Path, tiny_critic_settings: CriticSettings, screen_text: Any
) -> None:
    saved = load_root(mini_root).principles["HON-01"].statement
    fill_cache(mini_root, tiny_critic_settings, "HON-01", [saved])
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        # the list's label summary is filled at start-up, from the cache
        assert "prefer" in app.screen.query_one(PrincipleTable).get_row("HON-01")[5]  # "1 prefers A"
        await pilot.press("down")  # HARM-01 -> HON-01
        await app.workers.wait_for_complete()
        await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen) and main.current == "HON-01"
        labels = app.studio.labels_for("HON-01", saved)
        assert set(labels) == {"mini-004"} and all(label.cached for label in labels.values())
        assert str(app.screen.query_one(CaseTable).get_row("mini-004")[2]) in ("A preferred", "B preferred")
        critic = studio_critic(app)
        assert critic is not None and critic.model_calls == 0 and not critic.loaded
        # HARM-01 has nothing cached: nothing shown, still no model
        await pilot.press("up")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.studio.labels_for("HARM-01", app.studio.ws.principles["HARM-01"].statement) == {}
        assert critic.model_calls == 0


async def test_cached_labels_for_the_edited_wording_after_a_typing_pause(
    mini_root: Path, tiny_critic_settings: CriticSettings
) -> None:
    saved = load_root(mini_root).principles["HARM-01"].statement
    edited = saved.rstrip("\n") + EDIT
    fill_cache(mini_root, tiny_critic_settings, "HARM-01", [saved, edited])
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*EDIT)
        await pilot.pause()  # FieldEdited reaches the screen's draft a message later (seen on a fast GPU host)
        assert app.studio.edited("HARM-01")["statement"] == edited
        await pilot.pause(LOOKUP_SECONDS + 0.2)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert set(app.studio.labels_for("HARM-01", edited)) == {"mini-001", "mini-002"}
        assert set(app.studio.labels_for("HARM-01", saved)) == {"mini-001", "mini-002"}
        assert studio_critic(app).model_calls == 0


async def test_auto_run_scores_the_edited_wording_when_typing_pauses(
    mini_root: Path, tiny_critic_settings: CriticSettings
) -> None:
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen)
        main.critic_runner.gpu = True  # as on a GPU machine (the run itself stays on the tiny model's CPU)
        area = main.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*EDIT)
        assert app._critic is None or app._critic.model_calls == 0  # nothing while typing
        await pilot.pause(AUTO_RUN_SECONDS + 0.3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        edited = app.studio.edited("HARM-01")["statement"]
        assert set(app.studio.labels_for("HARM-01", edited)) == {"mini-001", "mini-002"}
        assert studio_critic(app).model_calls > 0
        await pilot.press("f5")  # off
        assert main.critic_runner.auto_run is False


async def test_auto_run_stays_off_on_the_cpu(mini_root: Path, tiny_critic_settings: CriticSettings) -> None:
    # device: cpu explicitly, so the test means the same on a GPU machine (CSTUDIO_TEST_DEVICE=cuda)
    cpu_settings = tiny_critic_settings.model_copy(update={"device": "cpu", "dtype": "float32"})
    app = StudioApp(mini_root, critic_settings=cpu_settings)
    async with app.run_test(size=SIZE) as pilot:
        area = app.screen.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*EDIT)
        await pilot.pause(AUTO_RUN_SECONDS + 0.3)
        await app.workers.wait_for_complete()
        await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen) and main.critic_runner.gpu is False
        assert app._critic is None or app._critic.model_calls == 0
        await pilot.press("f5")
        assert main.critic_runner.auto_run is True  # refused: needs a GPU


async def test_auto_run_on_a_gpu(mini_root: Path, tiny_model_dir: Path) -> None:
    """On a CUDA machine, `device: auto`: the first typing pause finds the GPU and runs the critic there."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    settings = CriticSettings(model=str(tiny_model_dir), device="auto", dtype="float32")
    app = StudioApp(mini_root, critic_settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        assert isinstance(main, MainScreen) and main.critic_runner.gpu is None
        area = main.query_one("#f-statement", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*EDIT)
        await pilot.pause(AUTO_RUN_SECONDS + 0.3)
        await app.workers.wait_for_complete()  # the GPU probe
        await pilot.pause()
        await app.workers.wait_for_complete()  # the run it started
        await pilot.pause()
        assert main.critic_runner.gpu is True
        edited = app.studio.edited("HARM-01")["statement"]
        assert set(app.studio.labels_for("HARM-01", edited)) == {"mini-001", "mini-002"}
        critic = studio_critic(app)
        assert critic.model_calls > 0 and critic.info.device.startswith("cuda")


async def test_an_anchored_studio_reads_the_labels_cstudio_eval_wrote(
    mini_root: Path, tiny_critic_settings: CriticSettings
) -> None:
    """Method anchored: the studio's judge is shown eval's demonstrations, so eval's cache answers it."""
    from constitution_studio.core.analysis.evaluation import score_version

    settings = tiny_critic_settings.model_copy(update={"method": "anchored", "anchored_k": 2})
    ws = load_root(mini_root)
    critic = open_critic(settings, mini_root)
    score_version(ws, critic)  # what `cstudio eval` scores and caches
    critic.close()
    app = StudioApp(mini_root, critic_settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):  # a trust measurement replaced by a newer one ends "cancelled"
            with contextlib.suppress(WorkerCancelled):
                await app.workers.wait_for_complete()
        await pilot.pause()
        labels = app.studio.labels_for("HARM-01", ws.principles["HARM-01"].statement)
        assert labels and all(label.cached for label in labels.values())
        studio = studio_critic(app)
        assert studio is not None and studio.model_calls == 0
        assert app.demonstrations and set(studio.demonstrations) == set(ws.principles)


async def test_an_anchored_studio_chooses_demonstrations_again_from_a_reloaded_workspace(
    mini_root: Path, tiny_critic_settings: CriticSettings
) -> None:
    settings = tiny_critic_settings.model_copy(update={"method": "anchored", "anchored_k": 4})
    app = StudioApp(mini_root, critic_settings=settings)
    async with app.run_test(size=SIZE):
        app.critic()
        assert app.demonstrations["HARM-01"] == {"mini-001"}  # mini-002 links two principles: no demo
        cases = mini_root / "eval_cases" / "cases.yaml"
        text = cases.read_text(encoding="utf-8")
        new = "  - id: mini-006\n    principles: [HARM-01]\n    prompt: Hi\n    response: Hello\n    gold: complies\n"
        cases.write_text(text + new, encoding="utf-8")
        app.studio.adopt_workspace(load_root(mini_root))  # what a save or an outside change leads to
        app.critic()
        assert app.demonstrations["HARM-01"] == {"mini-001", "mini-006"}


async def test_the_studios_trust_is_the_cli_trust_on_the_same_cache(
    mini_root: Path, tiny_critic_settings: CriticSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a restart the title bar's figure is `cstudio trust --cached-only`'s (one function,
    analysis/trust_history.py `current_trust`), not one built from the labels on screen."""
    import json

    from constitution_studio.cli import main

    constitution = mini_root / "principles" / "constitution.yaml"
    text = constitution.read_text(encoding="utf-8")
    start = text.index("critic:")
    model = tiny_critic_settings.model
    constitution.write_text(text[:start] + f'critic:\n  model: "{model}"\n  device: cpu\n  dtype: float32\n')
    assert main(["trust", "--root", str(mini_root), "--format", "json"]) == 0  # scores and caches
    cli = json.loads(capsys.readouterr().out)
    app = StudioApp(mini_root, critic_settings=tiny_critic_settings)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            with contextlib.suppress(WorkerCancelled):
                await app.workers.wait_for_complete()
        await pilot.pause()
        report = app.trust.report
        assert report is not None
        assert report.overall.model_dump(mode="json") == cli["overall"]
        assert [p.model_dump(mode="json") for p in report.principles] == cli["principles"]
        assert f"{cli['overall']['n']} human labels" in app.trust.headline()
