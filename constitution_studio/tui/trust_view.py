"""How far the critic's labels can be believed, from the labels the studio has seen so far.

Computed with core/trust.py on the labels under the *saved* wording: gold is the human verdict
of a case as a whole, so each gold case counts for its deciding (highest-priority linked)
principle, and only once all its linked principles were scored.
"""

from __future__ import annotations

from typing import Any

from constitution_studio.tui.state import Label, Studio


class TrustView:
    """The latest trust report (None until the critic has labelled some gold cases)."""

    def __init__(self) -> None:
        self.report: Any = None

    def update(self, studio: Studio) -> None:
        try:
            from constitution_studio.core.trust import trust_report
        except ImportError:  # trust lands with issue 7
            return
        scores: dict[tuple[str, str], Label] = {}
        for pid, principle in studio.ws.principles.items():
            for cid, label in studio.labels_for(pid, principle.statement).items():
                scores[(pid, cid)] = label
        if not scores:
            return
        try:
            self.report = trust_report(studio.ws, scores)
        except (ValueError, KeyError, TypeError):
            self.report = None

    def headline(self) -> str:
        if self.report is None:
            return "critic trust: not measured (ctrl+t)"
        a = self.report.overall
        return f"critic trust: {a.level.value.upper()} (κ {a.kappa.text()}, n={a.n})"

    def principle_note(self, principle_id: str) -> str:
        if self.report is None:
            return ""
        a = self.report.principle(principle_id)
        if a is None:
            return "trust: no decided gold cases"
        return f"trust: {a.level.value} (κ {a.kappa.text()}, n={a.n})"
