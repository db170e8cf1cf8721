"""How far the critic's labels can be believed: the same report as `cstudio trust --cached-only`.

Core measures it (analysis/trust_history.py `current_trust`) on the *saved* version from the
critic's cache alone, so the title bar, the trust notes and the CLI never disagree; nothing
is scored for it and the model is never loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from constitution_studio.core.workspace import Workspace
from constitution_studio.tui.state import Studio

if TYPE_CHECKING:
    from constitution_studio.core.critic.judge import Judge

Snapshot = Workspace


class TrustView:
    """The latest trust report (None until the critic's cache holds verdicts on gold cases)."""

    def __init__(self) -> None:
        self.report: Any = None

    def update(self, studio: Studio, critic: Judge | None = None) -> None:
        """Measure now, in this thread (tests, small constitutions)."""
        report = self.measure(self.snapshot(studio), critic)
        if report is not None:
            self.report = report

    @staticmethod
    def snapshot(studio: Studio) -> Snapshot:
        """The saved version trust is measured on, taken on the UI thread."""
        return studio.ws

    @staticmethod
    def measure(ws: Snapshot, critic: Judge | None = None, demonstrations: dict[str, set[str]] | None = None) -> Any:
        """The trust report from the cache (None when no gold case has a verdict there); runs in a worker."""
        if critic is None:
            return None  # no critic (the base install has none): nothing can be labelled
        from constitution_studio.core.analysis.trust_history import current_trust  # NumPy: the critic extra

        report = current_trust(ws, critic, score=False, shown=demonstrations)
        return report if report.overall.n or any(p.agreement.n for p in report.principles) else None

    def headline(self) -> str:
        """One short line for the title bar (the advice, when needed, is in `advice()`)."""
        if self.report is None:
            return "critic trust: not measured yet (ctrl+t)"
        a = self.report.overall
        kappa = "kappa n/a" if a.kappa.value is None else f"kappa {a.kappa.value:.2f}"
        line = f"critic trust: {a.level.value.upper()} ({kappa}, {a.n} human labels)"
        if a.level.value in ("untrusted", "unknown"):
            line += " — F9 to review"
        return line

    def advice(self) -> str:
        """What to do next when the critic's labels cannot be believed yet ('' when they can)."""
        if self.report is None or self.report.overall.level.value not in ("untrusted", "unknown"):
            return ""
        return (
            "The critic's labels may be noise: record human verdicts in the review queue (F9), "
            "run `cstudio calibrate`, or configure a stronger critic model (docs/critic.md)."
        )

    def principle_note(self, principle_id: str) -> str:
        if self.report is None:
            return ""
        a = self.report.principle(principle_id)
        if a is None:
            return "trust: no human-labelled cases decided by it"
        kappa = "kappa n/a" if a.kappa.value is None else f"kappa {a.kappa.value:.2f}"
        note = f"trust: {a.level.value} ({kappa}, {a.n} human labels)"
        if a.level.value in ("untrusted", "unknown"):
            note += " — add labels in the review queue (F9) or calibrate"
        return note
