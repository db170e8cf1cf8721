"""The check's verdict and its answer key, as every check output shows them.

One place for the words: the headline (`✅ passed`, `❌ failed`, `⚠️ inconclusive`), the
"inconclusive" block with what would make the check conclusive, and the "Answer key changed"
section (Markdown) or lines (text, JUnit). The check's renderers (check_markdown, check_text,
check_junit, sarif, github) call these; the facts come from analysis/gate.py and
analysis/answer_key.py.
"""

from __future__ import annotations

from constitution_studio.core.analysis.answer_key import AnswerKeyReport
from constitution_studio.core.analysis.gate import CheckResult, GateResult
from constitution_studio.core.report.markdown_escape import md_code, md_text
from constitution_studio.core.report.shift_common import rate
from constitution_studio.core.sanitize import sanitize
from constitution_studio.core.wording import plural

HEADLINE = {"passed": "✅ passed", "failed": "❌ failed", "inconclusive": "⚠️ inconclusive"}
FOLD_OVER = 5
GATE_WORDS = {"pass": ("pass", "✅ pass"), "fail": ("FAIL", "❌ fail"), "inconclusive": ("WARN", "⚠️ inconclusive")}


def gate_outcome(result: CheckResult, gate: GateResult) -> str:
    """`pass`, `fail`, or `inconclusive` for the trust gate that only passes under
    `check.on_untrusted: warn` while the critic cannot tell (never shown as a plain pass)."""
    if gate.rule == "trust" and gate.passed and result.inconclusive is not None:
        return "inconclusive"
    return "pass" if gate.passed else "fail"


def gate_word(result: CheckResult, gate: GateResult, *, markdown: bool = False) -> str:
    """The gate's result as the text report (`pass`/`FAIL`/`WARN`) or a Markdown table shows it."""
    return GATE_WORDS[gate_outcome(result, gate)][1 if markdown else 0]


def headline(result: CheckResult) -> str:
    """`✅ passed`, `❌ failed` or `⚠️ inconclusive` (never passed while the critic cannot tell)."""
    return HEADLINE[result.status]


def verdict_line(result: CheckResult) -> str:
    """One plain line: the verdict with its reason, and what the exit code does about it."""
    if result.status == "inconclusive":
        exits = "exit 1" if not result.passed else "exit 0: check.on_untrusted is warn"
        return f"⚠️ {result.inconclusive} [{exits}]"
    if result.status == "failed":
        return f"FAILED ({plural(len(result.failures), 'gate')}: {', '.join(g.rule for g in result.failures)})"
    return "passed"


def inconclusive_markdown(result: CheckResult) -> str:
    """The CAUTION block under the title of an inconclusive check ('' when the critic can tell)."""
    if result.inconclusive is None:
        return ""
    exits = (
        "`check.on_untrusted: warn` lets it exit 0, but it is not a pass."
        if result.passed or result.settings.on_untrusted == "warn"
        else "The check fails (exit 1) until the critic can tell; `check.on_untrusted: warn` on both sides makes "
        "it a warning."
    )
    lines = [
        "> [!CAUTION]",
        f"> **⚠️ {md_text(result.inconclusive)}.** A green check must mean the judge could have seen a regression; "
        f"this one could not. {exits}",
        ">",
        "> To make it conclusive:",
    ]
    lines += [f"> - {md_text(a)}" for a in result.conclusive_advice]
    return "\n".join(lines) + "\n"


def _key(result: CheckResult) -> AnswerKeyReport | None:
    return result.shift.answer_key if result.shift is not None else None


def answer_key_markdown(result: CheckResult) -> str:
    """The "Answer key changed" section ('' when the head neither changes nor adds to the base's key)."""
    key = _key(result)
    if key is None or not (key.changes or key.added):
        return ""
    lines = ["### Answer key changed" if key.changes else "### Answer key: cases added", ""]
    if key.changes:
        allowed = result.settings.allow_answer_key_change
        lines.append(
            f"This pull request changes the base's answer key in {plural(len(key.changed_case_ids), 'case')}. "
            "Both sides were judged by the **base's** gold labels and benign flags; "
            + (
                "the base allows the change."
                if allowed
                else "**not allowed** (`check.allow_answer_key_change` is false)."
            )
        )
        lines.append("")
        rows = ["| Case | Change |", "|---|---|"]
        rows += [f"| {md_code(c.case_id, cell=True)} | {md_text(c.message)} |" for c in key.changes]
        table = "\n".join(rows) + "\n"
        if len(key.changes) > FOLD_OVER:
            lines.append(f"<details><summary>{plural(len(key.changes), 'change')}</summary>\n\n{table}\n</details>\n")
        else:
            lines.append(table)
    if key.added:
        gold = [a for a in key.added if a.gold is not None]
        benign = [a for a in key.added if a.benign]
        lines.append(
            f"**Added by this pull request** (scored and shown apart; they count from the next base on): "
            f"{plural(len(gold), 'gold case')}, head's gold accuracy {rate(key.added_gold_accuracy)}; "
            f"{plural(len(benign), 'benign case')}, over-refusal {rate(key.added_over_refusal)}.\n"
        )
        items = []
        for a in key.added:
            what = ", ".join(
                part
                for part in (f"gold `{a.gold}`" if a.gold else "", "benign" if a.benign else "", f"{a.kind} added")
                if part
            )
            says = f"; head says `{a.head_label}`" if a.head_label else "; not scored"
            mark = "" if a.agrees_with_gold is None else (" ✓" if a.agrees_with_gold else " ✗")
            items.append(f"- {md_code(a.case_id)}: {what}{says}{mark}")
        body = "\n".join(items) + "\n"
        if len(items) > FOLD_OVER:
            lines.append(f"<details><summary>{plural(len(items), 'added case')}</summary>\n\n{body}\n</details>\n")
        else:
            lines.append(body)
    return "\n".join(lines).rstrip() + "\n"


def answer_key_lines(result: CheckResult) -> list[str]:
    """The answer-key changes and additions as plain lines (text and JUnit), sanitised."""
    key = _key(result)
    if key is None:
        return []
    out = [f"answer key changed: {sanitize(c.message)}" for c in key.changes]
    if key.added:
        gold = sum(a.gold is not None for a in key.added)
        benign = sum(a.benign for a in key.added)
        out.append(
            f"answer key added (shown apart, counted from the next base on): {plural(gold, 'gold case')}, "
            f"head's gold accuracy {rate(key.added_gold_accuracy)}; {plural(benign, 'benign case')}, "
            f"over-refusal {rate(key.added_over_refusal)}"
        )
    return out
