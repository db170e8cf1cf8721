"""The app's keys for the whole-constitution screens: impact (F8 or i), review queue (F9), trust history (F10).

A mixin of `StudioApp`, so the screens open from anywhere; each opens once (pressing its key
on it does nothing).
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

# The screen each key opens, by its id: on that screen its key is left out of the footer.
SCREEN_OF_ACTION = {"impact": "impact", "impact_key": "impact", "review": "review", "trust_history": "trust-history"}


def analysis_bindings() -> list[Binding]:
    return [
        Binding(
            "f8",
            "impact",
            "Impact",
            id="app.impact",
            priority=True,
            tooltip="Impact: what the unsaved edits change across the whole constitution (also i)",
        ),
        Binding("i", "impact_key", "Impact", id="app.impact_i", show=False),
        Binding(
            "f9",
            "review",
            "Review",
            id="app.review",
            priority=True,
            tooltip="Review queue: record your verdict on the critic's least certain labels as gold",
        ),
        Binding(
            "f10",
            "trust_history",
            "Trust",
            id="app.trust_history",
            priority=True,
            tooltip="Critic agreement with gold over the last commits that changed principles or gold",
        ),
    ]


class AnalysisActions:
    """Actions that push the impact, review and trust-history screens."""

    studio: Any

    def _open(self, kind: type, make: Any) -> None:
        app: Any = self  # the StudioApp this is mixed into
        if isinstance(app.screen, kind):
            return
        main = getattr(app, "main", None)
        if main is not None and hasattr(main, "sync_editor"):
            main.sync_editor()  # a keystroke still queued counts as an edit
        app.push_screen(make())

    def action_impact(self) -> None:
        from constitution_studio.tui.screens.impact import ImpactScreen

        self._open(ImpactScreen, lambda: ImpactScreen(self.studio))

    def action_impact_key(self) -> None:
        self.action_impact()

    def action_review(self) -> None:
        from constitution_studio.tui.screens.review import ReviewScreen

        self._open(ReviewScreen, lambda: ReviewScreen(self.studio))

    def action_trust_history(self) -> None:
        from constitution_studio.tui.screens.trust_history import TrustHistoryScreen

        self._open(TrustHistoryScreen, lambda: TrustHistoryScreen(self.studio))
