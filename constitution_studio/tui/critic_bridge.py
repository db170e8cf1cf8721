"""The studio's use of the critic: which requests to send, run in a worker thread.

The critic package is imported lazily so that opening the studio never loads torch; the
model itself loads on the first request the cache cannot answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from constitution_studio.core.models import CriticSettings, EvalCase
from constitution_studio.tui.state import Label

if TYPE_CHECKING:
    from constitution_studio.core.critic.judge import Judge

CriticFactory = Callable[[CriticSettings, Path], "Judge"]


def default_factory(settings: CriticSettings, root: Path) -> Judge:
    """The judge `critic:` configures (a panel when it lists one): core's `open_judge`, as every command."""
    from constitution_studio.core.critic.opening import open_judge

    return open_judge(settings, root)


def score_wording(
    critic: Judge,
    principle_id: str,
    statement: str,
    cases: list[EvalCase],
    cancel: threading.Event,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[str, Label]]:
    """Yield (case ID, label) for each case judged against `statement`; stops when cancelled.

    `progress(done, total)` is called per batch inside the critic, so a bar moves while a
    batch of results is still on its way.
    """
    from constitution_studio.core.critic import ScoreRequest

    requests = [ScoreRequest(principle_id=principle_id, statement=statement, case=case) for case in cases]
    # Engagement answers go to the cache only: verdicts (trust, impact) are resolved in core from it.
    requests += [ScoreRequest(principle_id, statement, case, question="engagement") for case in cases]
    for score in critic.score(requests, cancel=cancel, progress=progress):
        if score.kind == "engagement":
            continue
        yield score.case_id, Label(label=score.label, probability=float(score.probability), cached=bool(score.cached))
        if cancel.is_set():
            return


def score_cache_exists(root: Path) -> bool:
    """Whether the critic has a score cache under `root` (looking never creates one)."""
    from constitution_studio.core.critic.cache import CACHE_DIR, CACHE_FILE

    return (root / CACHE_DIR / CACHE_FILE).is_file()


def cached_labels(critic: Judge, principle_id: str, statement: str, cases: list[EvalCase]) -> dict[str, Label]:
    """The labels already in the critic's cache for `statement`; never loads the model."""
    from constitution_studio.core.critic import ScoreRequest

    requests = [ScoreRequest(principle_id=principle_id, statement=statement, case=case) for case in cases]
    return {
        score.case_id: Label(label=score.label, probability=float(score.probability), cached=True)
        for score in critic.cached(requests)
    }


def critic_uses_gpu(settings: CriticSettings) -> bool:
    """Whether the critic would run on a GPU: its `device` names CUDA, or is `auto` and CUDA is there.

    Imports torch for `auto` (a second or more): call it from a worker thread, never at start-up.
    """
    device = settings.device
    if device.startswith("cuda"):
        return True
    if device != "auto":
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())
