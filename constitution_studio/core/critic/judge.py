"""`Judge`: everything analysis, the CLI and the studio use from a critic, as one typed protocol.

A judge answers `ScoreRequest`s with `Score`s (cache first, then its model or server), keys
requests for the score cache, turns probabilities into labels (thresholds and calibration),
and says whether its model is loaded (or its connection up) and what it is doing meanwhile.
Backends implement it: the in-process transformers critic (engine.py `Critic`), a panel of
judges (panel.py `Panel`), and the test doubles. Surfaces never construct one themselves:
they call `open_judge` (opening.py), which honours `critic.panel` (and, later, a server).

Adding a backend is one new module with a class that implements this protocol, and one
branch in `open_judge`. This module imports no backend (and never torch).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from constitution_studio.core.critic.types import CriticInfo, Score, ScoreRequest
from constitution_studio.core.models import CriticSettings, PrincipleCalibration

if TYPE_CHECKING:
    from constitution_studio.core.critic.anchored import DemoSet
    from constitution_studio.core.critic.consistency import Consistency

Progress = Callable[[int, int], None]


@runtime_checkable
class Judge(Protocol):
    """A critic as analysis sees it (docs/critic.md, "The Judge protocol")."""

    # -- identity and configuration ------------------------------------------------------

    @property
    def settings(self) -> CriticSettings:
        """The `critic:` settings it was opened with (engagement, thresholds, anchored_k, ...)."""
        ...

    @property
    def info(self) -> CriticInfo:
        """What produces its scores: shown at the top of every report (a panel lists its members)."""
        ...

    @property
    def variants(self) -> list[str]:
        """Judge template variants, the primary first; a panel adds each member's as `m1:default`."""
        ...

    @property
    def warnings(self) -> list[str]:
        """Lines every report prints (e.g. a calibration ignored because it was fitted for another wording)."""
        ...

    @property
    def members(self) -> Mapping[str, Judge]:
        """A panel's member judges by name; empty for one judge."""
        ...

    @property
    def anchored(self) -> bool:
        """Whether it (or any panel member) shows each principle worked examples (method `anchored`)."""
        ...

    def set_demonstrations(self, demos: dict[str, DemoSet]) -> None:
        """The worked examples per principle of method `anchored` (judging.anchor chooses them)."""
        ...

    # -- state ---------------------------------------------------------------------------

    @property
    def model_calls(self) -> int:
        """Model (or server) calls so far: 0 on a run the cache answered (docs/ci.md reads it so)."""
        ...

    @property
    def loaded(self) -> bool:
        """Its model is loaded (or its server connected); False before the first cache miss."""
        ...

    @property
    def loading_message(self) -> str:
        """What the first cache miss waits for, e.g. "loading the critic model builtin:smollm2-135m…"."""
        ...

    # -- requests and the cache ----------------------------------------------------------

    def keys_for(self, requests: Sequence[ScoreRequest]) -> list[str]:
        """Each request's cache key (equal keys: one answer serves both)."""
        ...

    def cached_scores(self, requests: Sequence[ScoreRequest], keys: Sequence[str] | None = None) -> list[Score | None]:
        """Each request's cached Score or None, in request order; never loads the model.

        `keys`: the requests' `keys_for`, when the caller has them already."""
        ...

    def cached(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        """The requests the cache already answers (order not kept); never loads the model."""
        ...

    def score(
        self,
        requests: Sequence[ScoreRequest],
        *,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> Iterator[Score]:
        """One Score per request, in any order; cached ones first. A cancel stops between batches and
        keeps (caches) what finished."""
        ...

    # -- labels ---------------------------------------------------------------------------

    def label_for(self, principle_id: str, probability: float, kind: str, statement: str) -> str:
        """violates|complies by the principle's threshold, a|b for pairs, engaged|not_engaged."""
        ...

    def calibration_for(self, principle_id: str, statement: str) -> PrincipleCalibration | None:
        """The principle's calibration when it was fitted for this judge and this wording, else None."""
        ...

    def hold_calibration(self, principle_id: str, wording: str, fitted_for: str) -> bool:
        """Label `wording` with the calibration fitted for `fitted_for` (a shift holds the judge fixed)."""
        ...

    def calibrated_principles(self, statements: dict[str, str]) -> list[str]:
        """Which of these principles (id -> wording) run with a valid calibration."""
        ...

    # -- checks and lifecycle ------------------------------------------------------------

    def consistency(self, requests: Sequence[ScoreRequest]) -> Consistency:
        """Polarity and order consistency over these verdict requests (None figures: not applicable)."""
        ...

    def release(self) -> None:
        """Free the model (GPU memory) or connection; the next cache miss loads it again."""
        ...

    def close(self) -> None:
        """Release everything, the score cache included."""
        ...


JudgeOpener = Callable[..., Judge]  # open_judge's shape, for callers that take another (tests, check)
