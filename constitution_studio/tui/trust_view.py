"""How far the critic's labels can be believed, from the labels the studio has seen so far.

Computed by core (analysis/trust.py) on a ScoredVersion of the *saved* wording: the studio's
labels plus the engagement answers the critic's cache holds. A gold case counts once every
principle that may decide it has an answer (never decided by a subset).
"""

from __future__ import annotations

from typing import Any

from constitution_studio.core.critic.types import Score
from constitution_studio.core.workspace import Workspace
from constitution_studio.tui.state import Label, Studio

Snapshot = tuple[Workspace, list[tuple[str, str, Label]]]


class TrustView:
    """The latest trust report (None until the critic has labelled some gold cases)."""

    def __init__(self) -> None:
        self.report: Any = None

    def update(self, studio: Studio, critic: Any = None) -> None:
        """Measure now, in this thread (tests, small constitutions)."""
        report = self.measure(self.snapshot(studio), critic)
        if report is not None:
            self.report = report

    @staticmethod
    def snapshot(studio: Studio) -> Snapshot:
        """What trust is measured from, copied on the UI thread so a worker can use it safely:
        the version and every label under its saved wording."""
        ws = studio.ws
        rows = [
            (pid, cid, label)
            for pid, principle in ws.principles.items()
            for cid, label in studio.labels_for(pid, principle.statement).items()
            if cid in ws.cases
        ]
        return ws, rows

    @staticmethod
    def measure(snapshot: Snapshot, critic: Any = None, demonstrations: dict[str, set[str]] | None = None) -> Any:
        """The trust report of a snapshot (None when nothing is labelled); runs in a worker thread."""
        from constitution_studio.core.analysis.scored import ScoredVersion
        from constitution_studio.core.analysis.scoring import case_requests, fill_from_cache

        ws, rows = snapshot
        if not rows:
            return None  # nothing labelled yet (always so on the base install, which has no critic)
        settings = ws.constitution.critic if ws.constitution is not None else None
        engagement = settings is None or settings.engagement != "off"
        judge = critic.variants[0] if critic is not None else "default"
        version = ScoredVersion(ws=ws, judges=[judge], engagement=engagement, demonstrations=dict(demonstrations or {}))
        for pid, cid, label in rows:
            version.add(Score(pid, cid, judge, ws.cases[cid].kind, label.probability, label.label, label.cached))
        from constitution_studio.core.analysis.trust import trust_report  # NumPy: the critic extra

        if engagement and critic is not None:
            gold = [cid for cid, c in ws.cases.items() if c.has_gold]
            wanted = [r for r in case_requests(version, gold) if r.question == "engagement"]
            fill_from_cache(version, critic, wanted)
        return trust_report(version)

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
