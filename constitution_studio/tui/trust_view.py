"""How far the critic's labels can be believed: the same report as `cstudio trust --cached-only`.

Core measures it (analysis/trust_history.py `current_trust`) on the *saved* version from the
critic's cache alone, so the title bar, the trust notes and the CLI never disagree; nothing
is scored for it and the model is never loaded. With gold recorded since the last commit (a
review verdict), core's `trust_change` gives before → after and whether the move is within
noise: the title bar, the review queue's title and the trust history (F10) show it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from constitution_studio.core.wording import plural
from constitution_studio.core.workspace import Workspace
from constitution_studio.tui.state import Studio

if TYPE_CHECKING:
    from constitution_studio.core.analysis.trust import TrustChange
    from constitution_studio.core.critic.judge import Judge

Snapshot = Workspace
NARROW_TITLE = 120  # below this the title bar cannot hold name, folder and trust: the trust comes first


def value(x: float | None) -> str:
    return "n/a" if x is None else f"{x + 0.0:.2f}"


class TrustView:
    """The latest trust report (None until the critic's cache holds verdicts on gold cases)."""

    def __init__(self) -> None:
        self.report: Any = None
        self.change: TrustChange | None = None  # before → after the gold not committed yet (None: none)

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

    @staticmethod
    def measure_change(ws: Snapshot, critic: Judge | None, root: Path) -> TrustChange | None:
        """Trust before → after the verdicts recorded since the last commit (core's `trust_change`,
        cache only); None without a critic, a commit, or a gold change. Runs in a worker."""
        if critic is None:
            return None
        from constitution_studio.core.analysis.trust_delta import head_gold, trust_change

        before = head_gold(root)
        return None if before is None else trust_change(ws, before, critic, score=False)

    def change_words(self, narrow: bool = False) -> str:
        """`3 uncommitted gold changes: kappa 0.41 [..] → 0.45 [..] (within noise), n 117 → 120` ('' when none)."""
        c = self.change
        if c is None:
            return ""
        b, a = c.before, c.after
        noise = "within noise" if c.within_noise else "outside the old interval"
        if narrow:  # the values alone (the intervals are on F10 and in the wide title)
            return f"kappa {value(b.kappa.value)} → {value(a.kappa.value)}, {noise}"
        verdicts = plural(len(c.changed), "uncommitted gold change")
        return f"{verdicts}: kappa {b.kappa.text()} → {a.kappa.text()} ({noise}), n {b.n} → {a.n}"

    def short(self, narrow: bool = False) -> str:
        """The trust in a few words for another screen's title bar: `trust untrusted (kappa 0.00 → -0.10,
        within noise)` while verdicts are uncommitted, else `trust unknown (kappa n/a, 5 labels)`.
        `narrow` (80 columns): the level and kappa alone, `trust untrusted, kappa 0.09 → 0.10`."""
        if self.report is None:
            return "trust not measured"
        a = self.report.overall
        level = a.level.value
        c = self.change
        if c is not None and c.before.level != c.after.level:
            level = f"{c.before.level.value} → {c.after.level.value}"
        if narrow:
            moved = f" → {value(c.after.kappa.value)}" if c is not None else ""
            return f"trust {level}, kappa {value((c.before if c is not None else a).kappa.value)}{moved}"
        if c is not None:
            return f"trust {level} ({self.change_words(narrow=True)})"
        return f"trust {level} (kappa {value(a.kappa.value)}, {plural(a.n, 'label')})"

    def level(self, principle_id: str | None = None) -> str:
        """The trust level over all principles (or one principle's), "not measured" before a report."""
        if self.report is None:
            return "not measured"
        a = self.report.overall if principle_id is None else self.report.principle(principle_id)
        return "unknown" if a is None else str(a.level.value)

    def believable(self, principle_id: str | None = None) -> bool:
        """Whether the critic's labels can be acted on: its trust is weak or good, not unknown/untrusted."""
        return self.level(principle_id) in ("weak", "good")

    def headline(self, narrow: bool = False) -> str:
        """One line for the title bar: the trust over all principles (the same words as each
        principle's note, which says its own scope). `narrow`: the short form that fits 80 columns."""
        if self.report is None:
            return "critic trust: not measured yet (ctrl+t)"
        a = self.report.overall
        kappa = "kappa n/a" if a.kappa.value is None else f"kappa {a.kappa.value:.2f}"
        labels = plural(a.n, "human label")
        level = a.level.value
        c = self.change
        if c is not None and c.before.level != c.after.level:
            level = f"{c.before.level.value} → {c.after.level.value}"
        if narrow:  # 64 columns at 80 (the icon and the clock's space take the rest)
            if c is not None:  # the move is what the reviewer is looking for
                return f"critic trust: {level} overall ({self.change_words(narrow=True)})"
            return f"critic trust: {level} overall ({kappa}, {plural(a.n, 'label')})"
        line = f"critic trust: {level}, all principles ({kappa}, {labels})"
        if c is not None:
            line += f" · {self.change_words()}"
        elif a.level.value in ("untrusted", "unknown"):
            line += " — F9 to review"
        return line

    def advice(self, in_review: bool = False) -> str:
        """What to do next when the critic's labels cannot be believed yet ('' when they can).

        `in_review`: said on the review queue itself, so it does not send the reviewer there.
        """
        if self.report is None or self.report.overall.level.value not in ("untrusted", "unknown"):
            return ""
        record = "record human verdicts here" if in_review else "record human verdicts in the review queue (F9)"
        return (
            f"The critic's labels may be noise: {record}, run `cstudio calibrate`, "
            "or configure a stronger critic model (docs/critic.md)."
        )

    def principle_note(self, principle_id: str) -> str:
        """One principle's trust, for the linked cases' lower border (76 columns at 80)."""
        if self.report is None:
            return ""
        a = self.report.principle(principle_id)
        if a is None:
            return f"trust, {principle_id} alone: unknown (no human label on a case it decides)"
        kappa = "kappa n/a" if a.kappa.value is None else f"kappa {a.kappa.value:.2f}"
        # the title bar says "F9 to review" when the trust is low; this line says whose trust it is
        return f"trust, {principle_id} alone: {a.level.value} ({kappa}, {plural(a.n, 'label')} on cases it decides)"

    def zero_flips_warning(self, principle_id: str | None = None) -> str:
        """Said beside "0 flips" when the critic cannot be believed: no flip may only mean a blind critic."""
        if self.believable(principle_id):
            return ""
        return f"critic trust {self.level(principle_id)}: do not act on 0 flips from this critic"
