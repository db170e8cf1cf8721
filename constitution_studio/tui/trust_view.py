"""How far the critic's labels can be believed, from the labels the studio has seen so far.

Computed by core (analysis/trust.py) on a ScoredVersion of the *saved* wording: the studio's
labels plus the engagement answers the critic's cache holds. A gold case counts once every
principle that may decide it has an answer (never decided by a subset).
"""

from __future__ import annotations

from typing import Any

from constitution_studio.core.critic.types import Score
from constitution_studio.tui.state import Studio


class TrustView:
    """The latest trust report (None until the critic has labelled some gold cases)."""

    def __init__(self) -> None:
        self.report: Any = None

    def update(self, studio: Studio, critic: Any = None) -> None:
        from constitution_studio.core.analysis.scored import ScoredVersion
        from constitution_studio.core.analysis.scoring import case_requests, fill_from_cache

        ws = studio.ws
        settings = ws.constitution.critic if ws.constitution is not None else None
        engagement = settings is None or settings.engagement != "off"
        judge = critic.variants[0] if critic is not None else "default"
        version = ScoredVersion(ws=ws, judges=[judge], engagement=engagement)
        for pid, principle in ws.principles.items():
            for cid, label in studio.labels_for(pid, principle.statement).items():
                case = ws.cases.get(cid)
                if case is None:
                    continue
                kind = case.kind
                version.add(Score(pid, cid, judge, kind, label.probability, label.label, label.cached))
        if not version.verdicts:
            return  # nothing labelled yet (always so on the base install, which has no critic)
        from constitution_studio.core.analysis.trust import trust_report  # NumPy: the critic extra

        if engagement and critic is not None:
            gold = [cid for cid, c in ws.cases.items() if c.has_gold]
            wanted = [r for r in case_requests(version, gold) if r.question == "engagement"]
            fill_from_cache(version, critic, wanted)
        self.report = trust_report(version)

    def headline(self) -> str:
        if self.report is None:
            return "critic trust: not measured yet (ctrl+t runs the critic)"
        a = self.report.overall
        kappa = "kappa n/a" if a.kappa.value is None else f"kappa {a.kappa.value:.2f}"
        line = f"critic agrees with people: {a.level.value.upper()} ({kappa} on {a.n} human-labelled cases)"
        if a.level.value in ("untrusted", "unknown"):
            line += " — add human labels (review queue), calibrate, or use a stronger critic"
        return line

    def principle_note(self, principle_id: str) -> str:
        if self.report is None:
            return ""
        a = self.report.principle(principle_id)
        if a is None:
            return "trust: no human-labelled cases decided by it"
        kappa = "kappa n/a" if a.kappa.value is None else f"kappa {a.kappa.value:.2f}"
        return f"trust: {a.level.value} ({kappa} on {a.n} human-labelled cases)"
