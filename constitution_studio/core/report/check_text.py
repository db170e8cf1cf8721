"""The terminal summary of `cstudio check`: trust first, verdict, gates, the shift table."""

from __future__ import annotations

from constitution_studio.core.analysis.gate import CheckResult
from constitution_studio.core.report.check_verdict import answer_key_lines, gate_word, verdict_line
from constitution_studio.core.report.shift_text import format_shift_text
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import plural


def check_text(result: CheckResult) -> str:
    out = []
    if result.shift is not None:
        out.append(format_shift_text(result.shift))
    for f in result.findings:
        out.append(f.format() + "\n")
    for change in result.settings_changed:
        out.append(f"setting changed: {change.key}: {change.base!r} -> {change.head!r}\n")
    if result.critic_change is not None and result.critic_change.shift is not None:
        o = result.critic_change.shift.overall
        out.append(
            "critic changed: head cases under the base critic -> the head critic: "
            f"{plural(o.n_flips_stable, 'stable flip')}, "
            f"{o.n_flips_unstable} unstable\n"
        )
    out += [line + "\n" for line in answer_key_lines(result)]
    if result.inconclusive is not None:
        out += [f"to make it conclusive: {a}\n" for a in result.conclusive_advice]
    out.append("gates:\n")
    for g in result.gates:
        out.append(f"  {gate_word(result, g)}  {g.rule:<16} {g.message}\n")
    out.append(f"check {result.base} -> {result.head}: {verdict_line(result)}\n")
    return sanitize("".join(out), keep_newlines=True)  # refs, messages and values came from the repository
