"""What a judge needs from the constitution before it scores, and what a panel's answers mean.

* `anchor`: method `anchored` shows each principle k of its own gold cases as worked
  examples; they are chosen here, given to the judge (every panel member that uses the
  method), and returned so agreement leaves them out (trust.trust_report `excluded`).
* `hold_calibration`: a reworded principle's head wording is labelled with the calibration
  fitted for its base wording, so a shift holds the judge fixed.
* `report_locales`: which locales a shift or check reports apart (critic.locales), unless
  `--locale` judges one locale throughout.
* `member_judges` / `members_disagree`: a panel's members as judge variants (`m1:default`),
  and whether they disagree on one side of a flip (a *disputed* flip, listed apart).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from constitution_studio.core.analysis.scored import Verdict
from constitution_studio.core.critic.anchored import localized_statement, select_demonstrations
from constitution_studio.core.critic.judge import Judge
from constitution_studio.core.models import EvalCase
from constitution_studio.core.workspace import Workspace

SEP = ":"  # = core.critic.panel.SEP (not imported: panel.py imports the engine)


def _members(critic: Judge) -> list[Judge]:
    """A panel's members, or the judge itself."""
    return list(critic.members.values()) or [critic]


def anchor(critic: Judge, ws: Workspace) -> dict[str, set[str]]:
    """Give every `anchored` judge its demonstrations from `ws`'s gold; {principle: case ids shown}.

    `{}` for any other method. For a pull request `ws` is the base: the side that judges
    chooses the examples, so the head cannot pick the ones its judge sees.
    """
    excluded: dict[str, set[str]] = {}
    linked: dict[str, list[EvalCase]] = {}  # each principle's gold cases, grouped once (not P x C)
    if critic.anchored:
        for case in ws.cases.values():
            if case.has_gold:
                for pid in case.principles:
                    linked.setdefault(pid, []).append(case)
    for member in _members(critic):
        if not member.anchored:
            continue
        k = member.settings.anchored_k
        demos = {pid: select_demonstrations(pid, linked.get(pid, ()), k) for pid in ws.principles}
        member.set_demonstrations(demos)
        for pid, demo_set in demos.items():
            if demo_set.ids:
                excluded.setdefault(pid, set()).update(demo_set.ids)
    return excluded


def report_locales(configured: Iterable[str], locale: str | None) -> list[str]:
    """The locales reported apart: critic.locales, unless `--locale` judges one locale throughout."""
    return [] if locale else list(dict.fromkeys(c for c in configured if c))


def member_judges(judges: Sequence[str]) -> list[str]:
    """Each panel member's primary judge (`m1:default`, `m2:default`), in order; [] for one critic."""
    first: dict[str, str] = {}
    for judge in judges:
        name, sep, _ = judge.partition(SEP)
        if sep and name not in first:
            first[name] = judge
    return list(first.values())


def members_disagree(verdict: Verdict | None, members: Sequence[str]) -> bool:
    """The panel's members gave this side different labels (each under its primary judge)."""
    if verdict is None or len(members) < 2:
        return False
    labels = {label for j in members if (label := verdict.variant_labels.get(j)) is not None}
    return len(labels) > 1


def hold_calibration(
    critic: Judge, base: Workspace, head: Workspace, locales: Sequence[str | None] = (None,)
) -> list[str]:
    """For every principle reworded between `base` and `head` whose base wording has a valid
    calibration, label the head's wording with that calibration too; the principles held.

    Calibration is valid only for the wording it was fitted for, so without this a shift would
    compare a calibrated base with an uncalibrated head: a whitespace edit could move labels
    whose probabilities did not move, or slip out of a strict fitted threshold."""
    held: set[str] = set()
    for pid, new in head.principles.items():
        old = base.principles.get(pid)
        if old is None:
            continue
        for locale in locales:
            before, after = localized_statement(old, locale), localized_statement(new, locale)
            if before == after:
                continue
            if critic.hold_calibration(pid, after, before):
                held.add(pid)
    return sorted(held)
