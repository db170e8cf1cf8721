"""The pre-merge check as a PR comment: verdict, critic and trust, the gates, the summary table, details.

Deterministic (no timestamps, stable ordering) so re-running the check on the same commits
updates the PR comment without spurious changes. The first line carries a hidden marker
a CI job can use to find and update its own comment.
"""

from __future__ import annotations

from constitution_studio.core.check import CheckResult
from constitution_studio.core.report.shift_markdown import critic_section, esc, principle_sections, summary_table

MARKER = "<!-- cstudio-check -->"


def _ref(name: str, commit: str | None) -> str:
    return f"`{name}`" + (f" ({commit[:7]})" if commit and not name.startswith(commit[:7]) else "")


def gates_table(result: CheckResult) -> str:
    lines = ["| Gate | Result | Detail |", "|---|---|---|"]
    for g in result.gates:
        lines.append(f"| {g.rule} | {'✅ pass' if g.passed else '❌ fail'} | {esc(g.message)} |")
    return "\n".join(lines) + "\n"


def check_markdown(result: CheckResult) -> str:
    verdict = "✅ passed" if result.passed else "❌ failed"
    out = [
        MARKER,
        f"## Constitution check {verdict}: {_ref(result.base, result.base_commit)} → "
        f"{_ref(result.head, result.head_commit)}",
        "",
    ]
    shift = result.shift
    if shift is not None:
        out.append(critic_section(shift))
    if result.failures:
        out.append("**Why it failed:**\n")
        out += [f"- {esc(g.message)}" for g in result.failures]
        out.append("")
    out.append(gates_table(result))
    if result.findings:
        body = "\n".join(f"- `{esc(f.format())}`" for f in result.findings)
        out.append(
            f"<details><summary>{len(result.findings)} validation error(s) at head</summary>\n\n{body}\n\n</details>\n"
        )
    if shift is None:
        out.append("The label shift was not computed because the head does not validate.\n")
        return "\n".join(out)
    out.append(summary_table(shift))
    details = principle_sections(shift)
    if details:
        out.append(details)
    return "\n".join(out).rstrip() + "\n"
