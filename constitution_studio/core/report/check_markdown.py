"""The pre-merge check as a PR comment: verdict, critic and trust, the gates, the summary table, details.

Deterministic (no timestamps, stable ordering) so re-running the check on the same commits
updates the PR comment without spurious changes. The first line carries a hidden marker
a CI job can use to find and update its own comment.
"""

from __future__ import annotations

from constitution_studio.core.analysis.gate import CheckResult
from constitution_studio.core.analysis.shift_models import ShiftReport
from constitution_studio.core.report.check_verdict import (
    answer_key_markdown,
    gate_word,
    headline,
    inconclusive_markdown,
)
from constitution_studio.core.report.markdown_escape import md_code
from constitution_studio.core.report.shift_markdown import (
    critic_section,
    disputed_section,
    esc,
    locale_sections,
    principle_sections,
    summary_table,
)
from constitution_studio.core.wording import plural

MARKER = "<!-- cstudio-check -->"


def _ref(name: str, commit: str | None) -> str:
    return md_code(name) + (f" ({commit[:7]})" if commit and not name.startswith(commit[:7]) else "")


def gates_table(result: CheckResult) -> str:
    lines = ["| Gate | Result | Detail |", "|---|---|---|"]
    for g in result.gates:
        lines.append(f"| {g.rule} | {gate_word(result, g, markdown=True)} | {esc(g.message)} |")
    return "\n".join(lines) + "\n"


def check_markdown(result: CheckResult) -> str:
    verdict = headline(result)
    out = [
        MARKER,
        f"## Constitution check {verdict}: {_ref(result.base, result.base_commit)} → "
        f"{_ref(result.head, result.head_commit)}",
        "",
    ]
    caution = inconclusive_markdown(result)
    if caution:
        out.append(caution)
    shift = result.shift
    if shift is not None:
        out.append(critic_section(shift))
        out += _notes(shift)
    if result.settings_changed:
        out.append(settings_section(result))
    if result.failures:
        out.append("**Why it failed:**\n")
        out += [f"- {esc(g.message)}" for g in result.failures]
        out.append("")
    out.append(gates_table(result))
    key = answer_key_markdown(result)
    if key:
        out.append(key)
    if result.findings:
        body = "\n".join(f"- {md_code(f.format())}" for f in result.findings)
        out.append(
            f"<details><summary>{plural(len(result.findings), 'validation error')} at head</summary>\n\n"
            f"{body}\n\n</details>\n"
        )
    if shift is None:
        out.append("The label shift was not computed because the head does not validate.\n")
        return "\n".join(out)
    out.append(summary_table(shift))
    for part in (principle_sections(shift), disputed_section(shift), locale_sections(shift)):
        if part:
            out.append(part)
    if result.critic_change is not None and result.critic_change.shift is not None:
        out.append(critic_change_section(result))
    return "\n".join(out).rstrip() + "\n"


def _notes(shift: ShiftReport) -> list[str]:
    lines = [f"> [!NOTE]\n> {esc(w)}\n" for w in shift.warnings]
    lines += [f"> [!NOTE]\n> {esc(p)}\n" for p in shift.partial]
    if shift.cancelled:
        lines.append("> [!WARNING]\n> Scoring was cancelled: the figures below are partial.\n")
    if shift.incomplete:
        lines.append(
            f"{plural(len(shift.incomplete), 'affected case')} could not be decided (not every principle scored).\n"
        )
    if shift.undecided:
        lines.append(
            f"{plural(len(shift.undecided), 'affected case')} no principle may decide on one side "
            "(every linked principle deprecated there).\n"
        )
    return lines


def _value(v: object) -> str:
    return "_unset_" if v is None else md_code(str(v), cell=True)


def settings_section(result: CheckResult) -> str:
    """Every critic:/check: value the head changed. The base's critic judged; the stricter check rule applied."""
    lines = [
        "**Settings changed by this pull request** (the base's critic judged it; for `check:` the stricter side"
        " applies):\n",
        "| Setting | Base | Head |",
        "|---|---|---|",
    ]
    lines += [f"| {md_code(s.key, cell=True)} | {_value(s.base)} | {_value(s.head)} |" for s in result.settings_changed]
    return "\n".join(lines) + "\n"


def critic_change_section(result: CheckResult) -> str:
    """The head's cases under the base's critic vs under the critic the head asks for."""
    change = result.critic_change
    assert change is not None and change.shift is not None
    o = change.shift.overall
    flipped = [c for c in change.shift.cases if c.flipped]
    lines = [
        "### Critic changed",
        "",
        f"This pull request changes `critic:` ({', '.join(md_code(s.key) for s in change.settings)}). "
        + ("The base allows it." if change.allowed else "**Not allowed** (`check.allow_critic_change` is false)."),
        f"Its cases under the base's critic → under its own: {plural(o.n_flips_stable, 'stable flip')}, "
        f"{o.n_flips_unstable} unstable; gold accuracy {_pct(o.gold_accuracy_base)} → {_pct(o.gold_accuracy_head)}; "
        f"over-refusal {_pct(o.over_refusal_base)} → {_pct(o.over_refusal_head)}.",
        "",
    ]
    for c in flipped:
        lines.append(
            f"- {md_code(c.case_id)}: {c.base.label if c.base else '?'} → {c.head.label if c.head else '?'}"
            + ("" if c.stable else " _(unstable)_")
        )
    return "\n".join(lines) + "\n"


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0%}"
