"""The studio's use of the critic: which requests to send, run in a worker thread.

The critic package is imported lazily so that opening the studio never loads torch; the
model itself loads on the first request the cache cannot answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from constitution_studio.core.models import CriticSettings, EvalCase
from constitution_studio.tui.state import Label

CriticFactory = Callable[[CriticSettings, Path], Any]


def default_factory(settings: CriticSettings, root: Path) -> Any:
    from constitution_studio.core.critic import open_critic

    return open_critic(settings, root)


def score_wording(
    critic: Any,
    principle_id: str,
    statement: str,
    cases: list[EvalCase],
    cancel: threading.Event,
) -> Iterator[tuple[str, Label]]:
    """Yield (case ID, label) for each case judged against `statement`; stops when cancelled."""
    from constitution_studio.core.critic import ScoreRequest

    requests = [ScoreRequest(principle_id=principle_id, statement=statement, case=case) for case in cases]
    for score in critic.score(requests, cancel=cancel):
        yield score.case_id, Label(label=score.label, probability=float(score.probability), cached=bool(score.cached))
        if cancel.is_set():
            return
